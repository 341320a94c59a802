using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Tests.Ledger;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Retention;

/// <summary>
/// RETENTION-SCHEDULE, LEGAL-HOLD and DESTRUCTION-TWO-LEADS over HTTP, with a short schedule (other records reviewed a day
/// after closure).
/// </summary>
public sealed class RetentionTests(RetentionTests.ShortSchedule api) : IClassFixture<RetentionTests.ShortSchedule>
{
    private HttpClient Auditor => api.ClientAs("auditor-1", Roles.Auditor);

    private async Task<List<Guid>> DueAsync(HttpClient client) =>
        [.. (await (await client.GetAsync($"/api/v1/retention/reviews?limit=200&dueBefore={CaseApi.Iso(api.Clock.GetCurrentInstant())}")
            .ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>())];

    [Fact]
    public async Task RETENTION_SCHEDULE_a_closed_case_comes_up_for_review_when_its_schedule_says_and_a_keep_decision_moves_it()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        var view = await c.View();
        view["retention"]!["schedule"]!.GetValue<string>().ShouldBe("Other");
        (await DueAsync(c.Lead1)).ShouldNotContain(c.Id, "not due for a day");

        api.Clock.Advance(Duration.FromDays(2));
        (await DueAsync(c.Lead1)).ShouldContain(c.Id);
        (await DueAsync(Auditor)).ShouldContain(c.Id);

        var kept = await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new
        {
            decision = "Keep", keepUntil = CaseApi.Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(30)), reason = "A complaint about the case is still open",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        kept["decisionId"]!.GetValue<Guid>().ShouldNotBe(Guid.Empty);
        (await DueAsync(c.Lead1)).ShouldNotContain(c.Id, "kept until a later review");
        (await c.View())["retention"]!["schedule"]!.GetValue<string>().ShouldBe("KeptUntil");
        (await api.EventsOf(c.Id))[^1].Data.ShouldBeOfType<RetentionKept>();
    }

    [Fact]
    public async Task RETENTION_SCHEDULE_an_open_case_or_a_review_not_yet_due_is_refused_and_appends_nothing()
    {
        var open = await CaseApi.Open(api, ageYears: 30);
        var body = new { decision = "Keep", keepUntil = CaseApi.Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(30)), reason = "r" };
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", body), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule]);
        await open.Close().ShouldBe(HttpStatusCode.OK);
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", body), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule]);
        (await open.Officer.PostJson($"{open.Url}/retention-decisions", body)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Keep", reason = "r" }), HttpStatusCode.BadRequest);
        await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Shred", reason = "r" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task LEGAL_HOLD_a_lead_places_and_releases_a_hold_which_the_case_and_the_review_list_show()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        var held = await (await c.Lead1.PutJson($"{c.Url}/legal-hold", new { reason = "Police investigation" }).ShouldBe(HttpStatusCode.OK)).Json();
        held["reason"]!.GetValue<string>().ShouldBe("Police investigation");
        (await c.View())["legalHold"]!["reason"]!.GetValue<string>().ShouldBe("Police investigation");
        (await c.ShouldFail(() => c.Lead2.PutJson($"{c.Url}/legal-hold", new { reason = "again" }), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.LegalHold]);
        (await c.Officer.PutJson($"{c.Url}/legal-hold", new { reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        await c.Close().ShouldBe(HttpStatusCode.OK);
        api.Clock.Advance(Duration.FromDays(2));
        var reviews = await (await c.Lead1.GetAsync($"/api/v1/retention/reviews?limit=200&dueBefore={CaseApi.Iso(api.Clock.GetCurrentInstant())}")).Json();
        reviews["items"]!.AsArray().Single(i => i!["id"]!.GetValue<Guid>() == c.Id)!["legalHold"]!.GetValue<bool>().ShouldBeTrue();

        await c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/legal-hold", "").ShouldBe(HttpStatusCode.OK);
        (await c.View())["legalHold"].ShouldBeNull();
        (await c.ShouldFail(() => c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/legal-hold", ""), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.LegalHold]);
    }

    private static readonly string Destroyed = "{\"destroyed\":true}";

    private async Task<Checkpoint> CheckpointAsync() =>
        (await (await Auditor.PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK)).Content
            .ReadFromJsonAsync<Checkpoint>(Api.Infrastructure.Json.JsonSetup.Create()))!;

    /// <summary>A closed adult's case whose review is due, with distinctive text in every kind of field.</summary>
    private async Task<CaseApi> DueCaseAsync(string[] recorded)
    {
        var opened = await (await api.ClientAs("officer-1", Roles.SafeguardingOfficer).PostJson("/api/v1/cases", new
        {
            channel = "Text", sourceReference = $"text-{recorded[0]}", serviceUser = new { reference = $"user-{recorded[1]}", ageYears = 30 },
            summary = $"{recorded[2]} says her landlord threatens her",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        var c = CaseApi.For(api, opened["id"]!.GetValue<Guid>());
        await c.Officer.PostJson($"{c.Url}/notes", new { text = $"Called back at {recorded[3]} Road" }).ShouldBe(HttpStatusCode.Created);
        await c.Officer.PostJson($"{c.Url}/persons", new { reference = $"friend-{recorded[4]}", description = $"Her friend {recorded[4]}", ageYears = 31 }).ShouldBe(HttpStatusCode.Created);
        await c.Assessment(CaseApi.Assessment("service-user", "None", "None"));
        await c.Clinician.PostJson($"{c.Url}/no-escalation-decisions", new { reason = $"An adult with no care needs; {recorded[3]} is safe" }).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        api.Clock.Advance(Duration.FromDays(2));
        return c;
    }

    [Fact]
    public async Task DESTRUCTION_TWO_LEADS_one_lead_asks_another_approves_and_the_skeleton_stays_verifiable_with_nothing_personal_left()
    {
        string[] recorded = ["Corvinaleigh", "Plumtrevane", "Ysoldebrandt", "Haverquill", "Thessalonwick"];
        var c = await DueCaseAsync(recorded);
        (await DueAsync(c.Lead1)).ShouldContain(c.Id);
        var before = await CheckpointAsync();
        var report = $"/api/v1/reports/escalations?from={CaseApi.Iso(api.Clock.GetCurrentInstant() - Duration.FromDays(30))}&to={CaseApi.Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(1))}";
        var counted = await (await Auditor.GetAsync(report).ShouldBe(HttpStatusCode.OK)).Json();
        counted["byRoute"]!["noneRecorded"]!.GetValue<int>().ShouldBeGreaterThan(0);
        var versionBefore = (await c.View())["version"]!.GetValue<long>();
        var search = new { reference = $"user-{recorded[1]}" };
        (await (await c.Lead1.PostJson("/api/v1/cases/search", search).ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .Select(i => i!["id"]!.GetValue<Guid>()).ShouldBe([c.Id]);

        var asked = await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due: nothing to keep it for" })
            .ShouldBe(HttpStatusCode.Created)).Json();
        var decisionId = asked["decisionId"]!.GetValue<Guid>();
        var pending = (await c.View())["pendingDestruction"]!;
        pending["decisionId"]!.GetValue<Guid>().ShouldBe(decisionId);
        pending["requestedBy"]!["subject"]!.GetValue<string>().ShouldBe("lead-1");

        var approval = $"{c.Url}/retention-decisions/{decisionId}/approval";
        var approved = await c.Lead2.PostJson(approval, new { }, idempotencyKey: $"destroy-{c.Id}").ShouldBe(HttpStatusCode.OK);
        var answer = await approved.Content.ReadAsStringAsync();
        (await approved.Json())["version"]!.GetValue<long>().ShouldBe(versionBefore + 2);

        // The answer is remembered (in the clear: it quotes nothing recorded, and the key it would be sealed under is gone).
        var replay = await c.Lead2.PostJson(approval, new { }, idempotencyKey: $"destroy-{c.Id}").ShouldBe(HttpStatusCode.OK);
        replay.Headers.GetValues("Idempotent-Replayed").ShouldContain("true");
        (await replay.Content.ReadAsStringAsync()).ShouldBe(answer);

        // No way back: the key is gone from the database, and the text from a dump of it.
        await using (var db = Npgsql.NpgsqlDataSource.Create(api.ConnectionString))
        await using (var keyRow = db.CreateCommand($"select count(*) from {Api.Infrastructure.Privacy.CaseKeyRing.Table} where id = '{c.Id}'"))
            ((long)(await keyRow.ExecuteScalarAsync())!).ShouldBe(0);
        var dump = await PgDump.DumpAsync(api.ConnectionString);
        dump.ShouldContain(c.Id.ToString(), Case.Sensitive, "the skeleton is kept");
        foreach (var text in recorded) dump.ShouldNotContain(text, Case.Sensitive);

        // Every personal field reads as destroyed, for every reader; what happened, when and by whom remains.
        var view = await c.View();
        view["summary"]!.ToJsonString().ShouldBe(Destroyed);
        view["sourceReference"]!.ToJsonString().ShouldBe(Destroyed);
        view["persons"]![1]!["description"]!.ToJsonString().ShouldBe(Destroyed);
        view["status"]!.GetValue<string>().ShouldBe("Closed");
        var gone = view["dataDestroyed"]!;
        gone["requestedBy"]!["subject"]!.GetValue<string>().ShouldBe("lead-1");
        gone["approvedBy"]!["subject"]!.GetValue<string>().ShouldBe("lead-2");
        gone["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);
        view["pendingDestruction"].ShouldBeNull();
        view["retention"].ShouldBeNull();
        (await DueAsync(c.Lead1)).ShouldNotContain(c.Id, "a destroyed record is not reviewed again");
        // Its references left the search index with it: not even the key holder can confirm that this user had a case.
        (await (await c.Lead1.PostJson("/api/v1/cases/search", search).ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().ShouldBeEmpty();
        await using (var db = Npgsql.NpgsqlDataSource.Create(api.ConnectionString))
        await using (var row = db.CreateCommand($"select data -> 'referenceIndex' from {Api.Infrastructure.Persistence.MartenSetup.CaseSummaryTable} where id = '{c.Id}'"))
            ((string)(await row.ExecuteScalarAsync())!).ShouldBe("[]");
        // Reading a destroyed case's stored events asks PostgreSQL for its key no more: not once per sealed value, on a
        // blocked thread (a destroyed key is gone for good, so this process remembers that it is).
        var ring = api.Services.GetRequiredService<Api.Infrastructure.Privacy.CaseKeyRing>();
        var blocking = ring.BlockingReads;
        foreach (var read in new[] { c.Url, $"{c.Url}/history", $"{c.Url}/as-of?version=3", "/api/v1/cases?limit=200" })
        {
            var body = await (await (read.StartsWith("/api/v1/cases?", StringComparison.Ordinal) ? c.Lead1 : c.Auditor).GetAsync(read).ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
            foreach (var text in recorded) body.ShouldNotContain(text, Case.Sensitive, $"{read} still shows '{text}'");
        }
        var history = await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Json();
        history["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ShouldContain("CaseDataDestroyed");
        history.ToJsonString().ShouldContain(Destroyed);
        (await (await c.Auditor.GetAsync($"{c.Url}/as-of?version=3").ShouldBe(HttpStatusCode.OK)).Json())["summary"]!.ToJsonString().ShouldBe(Destroyed);
        ring.BlockingReads.ShouldBe(blocking, "no key read the blocking way");

        // Integrity, verify and the proofs hold: they are over what is stored, which destruction did not touch.
        (await (await c.Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK)).Json())["valid"]!.GetValue<bool>().ShouldBeTrue();
        var after = await CheckpointAsync();
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem((await (await Auditor.GetAsync("/api/v1/audit/checkpoints/public-key")).Json())["publicKeyPem"]!.GetValue<string>());
        after.Verify(publicKey).ShouldBeTrue();
        (await (await Auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={after.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json())["valid"]!.GetValue<bool>().ShouldBeTrue();
        var inclusion = await (await Auditor.GetAsync($"/api/v1/audit/proofs/inclusion?caseId={c.Id}&version=1&treeSize={after.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        MerkleTreeTests.ProvesInclusion(inclusion, after).ShouldBeTrue();
        var consistency = await (await Auditor.GetAsync($"/api/v1/audit/proofs/consistency?from={before.TreeSize}&to={after.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        MerkleTreeTests.ProvesConsistency(consistency, before, after).ShouldBeTrue();

        // Reports still count it.
        (await (await Auditor.GetAsync(report).ShouldBe(HttpStatusCode.OK)).Json()).ToJsonString().ShouldBe(counted.ToJsonString());

        // Nothing more is recorded on it.
        (await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/reopen", new { reason = "New disclosure" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
        (await c.ShouldFail(() => c.Lead1.PutJson($"{c.Url}/legal-hold", new { reason = "Too late" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
    }

    [Fact]
    public async Task DESTRUCTION_TWO_LEADS_a_hold_an_open_case_a_review_not_due_and_a_self_approval_are_refused_appending_nothing()
    {
        var open = await CaseApi.Open(api, ageYears: 30);
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Destroy", reason = "r" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);
        await open.Close().ShouldBe(HttpStatusCode.OK);
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Destroy", reason = "r" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);

        var c = await DueCaseAsync(["Aldermoor", "Brisketon", "Calloway", "Dunmarrow", "Elspethine"]);
        (await c.Officer.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "r" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await c.Lead1.PutJson($"{c.Url}/legal-hold", new { reason = "Inquiry" }).ShouldBe(HttpStatusCode.OK);
        (await c.ShouldFail(() => c.Lead1.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "r" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.LegalHold, RuleIds.DestructionTwoLeads]);
        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/legal-hold", "").ShouldBe(HttpStatusCode.OK);

        var decisionId = (await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due" })
            .ShouldBe(HttpStatusCode.Created)).Json())["decisionId"]!.GetValue<Guid>();
        var approval = $"{c.Url}/retention-decisions/{decisionId}/approval";
        (await c.ShouldFail(() => c.Lead1.PostJson(approval, new { }), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
        await c.ShouldFail(() => c.Lead2.PostJson($"{c.Url}/retention-decisions/{Guid.NewGuid()}/approval", new { }), HttpStatusCode.NotFound);
        (await c.Officer.PostJson(approval, new { })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await c.Lead2.PutJson($"{c.Url}/legal-hold", new { reason = "Inquiry reopened" }).ShouldBe(HttpStatusCode.OK);
        (await c.ShouldFail(() => c.Lead2.PostJson(approval, new { }), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.LegalHold, RuleIds.DestructionTwoLeads]);
        (await c.View())["summary"]!.GetValue<string>().ShouldContain("Calloway", Case.Sensitive, "nothing was destroyed");
    }

    [Fact]
    public async Task PRIVACY_AT_REST_the_destroyed_marker_cannot_be_recorded_by_anyone()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/notes", new { text = "\uFDD0destroyed\uFDD0" }), HttpStatusCode.BadRequest);
    }

    public sealed class ShortSchedule : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Retention:Schedule:Other"] = "P1D",
            ["Retention:Schedule:AdultAtRisk"] = "P1D",
            ["Retention:Schedule:ChildSafeguarding"] = "P2D",
            ["Retention:Schedule:SexualAbuse"] = "P3D",
        };
    }
}
