using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Audit;

/// <summary>History shows each event's hash and pages by version; integrity never cries wolf while a case is written.</summary>
public sealed class HistoryAndIntegrityTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    private readonly HttpClient auditor = api.ClientFor(Roles.Auditor);
    private readonly HttpClient officer = api.ClientFor(Roles.SafeguardingOfficer);

    [Fact]
    public async Task History_shows_each_events_hash_and_pages_by_version()
    {
        var id = await api.OpenCase();
        for (var i = 0; i < 4; i++) await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = $"note {i}" }).ShouldBe(HttpStatusCode.Created);

        var whole = await (await auditor.GetAsync($"/api/v1/cases/{id}/history").ShouldBe(HttpStatusCode.OK)).Json();
        var events = whole["events"]!.AsArray();
        events.Count.ShouldBe(5);
        events.ShouldAllBe(e => e!["hash"]!.GetValue<string>().Length == 64);
        events.Select(e => e!["hash"]!.GetValue<string>()).ShouldBeUnique();
        whole["nextFromVersion"].ShouldBeNull();

        var versions = new List<long>();
        long? from = 1;
        var pages = 0;
        while (from is { } start)
        {
            var page = await (await auditor.GetAsync($"/api/v1/cases/{id}/history?fromVersion={start}&limit=2").ShouldBe(HttpStatusCode.OK)).Json();
            versions.AddRange(page["events"]!.AsArray().Select(e => e!["version"]!.GetValue<long>()));
            from = page["nextFromVersion"]?.GetValue<long>();
            pages++;
        }
        versions.ShouldBe([1, 2, 3, 4, 5]);
        pages.ShouldBe(3);
        await (await auditor.GetAsync($"/api/v1/cases/{id}/history?limit=0")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await auditor.GetAsync($"/api/v1/cases/{id}/history?fromVersion=0")).ShouldBeProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task History_shows_an_escalations_recorded_policy_durations_in_ISO_8601_as_everywhere_else()
    {
        var c = await CaseApi.Open(api);
        var d = await c.Disclosure(CaseApi.Concern("RiskToLife"));
        await c.SafetyPlan("NotPossible");
        var a = await c.Assessment(CaseApi.Assessment("service-user", "Immediate", "Emergency"));
        await c.Escalation(CaseApi.EscalationBody("Emergency", "Ambulance999", a, [d]));

        var history = await (await auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Json();
        var made = history["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "EscalationMade")!["data"]!.ToJsonString();
        made.ShouldContain("\"PT24H\"");
        made.ShouldContain("\"PT1H\"");
        made.ShouldNotContain(":00:00\"");
        var audit = await (await auditor.GetAsync("/api/v1/audit/escalations?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        audit.ToJsonString().ShouldNotContain(":00:00\"");
    }

    [Fact]
    public async Task Integrity_checked_while_eight_writers_append_never_reports_tampering()
    {
        var id = await api.OpenCase();
        var writers = Enumerable.Range(0, 8).Select(w => api.ClientAs($"writer-{w}", Roles.SafeguardingOfficer)).ToArray();
        var writing = Task.WhenAll(writers.Select(async (w, i) =>
        {
            for (var n = 0; n < 40; n++) await w.PostJson($"/api/v1/cases/{id}/notes", new { text = $"writer {i} note {n}" }).ShouldBe(HttpStatusCode.Created);
        }));

        var checks = 0;
        var duringWrites = 0;
        var alarms = new List<string>();
        while (!writing.IsCompleted || checks < 200)
        {
            var writingNow = !writing.IsCompleted;
            var report = await (await auditor.GetAsync($"/api/v1/cases/{id}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
            checks++;
            if (writingNow) duringWrites++;
            if (!report["valid"]!.GetValue<bool>()) alarms.Add(report.ToJsonString());
        }
        await writing;

        output.WriteLine($"{checks} integrity checks, {duringWrites} while 8 writers appended 320 notes: {alarms.Count} alarms");
        duringWrites.ShouldBeGreaterThan(50, "the checks must overlap the writes");
        alarms.ShouldBeEmpty();
        var final = await (await auditor.GetAsync($"/api/v1/cases/{id}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        final["events"]!.GetValue<long>().ShouldBe(321);
    }
}

/// <summary>The escalation audit pages with a cursor over any range, open-ended or decades long.</summary>
public sealed class EscalationAuditPagingTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task The_escalation_audit_pages_every_escalation_once_over_any_range()
    {
        var made = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var c = await CaseApi.Open(api, ageYears: 15);
            var d = await c.Disclosure(CaseApi.Concern("Physical"));
            var a = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
            made.Add(await c.Escalation(CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])));
            if (i == 0) made.Add(await c.Escalation(CaseApi.EscalationBody("NonEmergency", "Police101", a, [d])));
        }
        var auditor = api.ClientFor(Roles.Auditor);

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var url = "/api/v1/audit/escalations?limit=2&from=2000-01-01T00:00:00Z&to=2150-01-01T00:00:00Z" + (cursor is null ? "" : $"&cursor={cursor}");
            var page = await (await auditor.GetAsync(url).ShouldBe(HttpStatusCode.OK)).Json();
            var items = page["escalations"]!.AsArray();
            items.Count.ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(items.Select(e => e!["escalationId"]!.GetValue<Guid>()));
            items.ShouldAllBe(e => !e!["mismatch"]!.GetValue<bool>());
            cursor = page["next"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);

        seen.ShouldBe(made, ignoreOrder: true);
        pages.ShouldBe(2);
        var open = await (await auditor.GetAsync("/api/v1/audit/escalations").ShouldBe(HttpStatusCode.OK)).Json();
        open["escalations"]!.AsArray().Count.ShouldBe(4);
        await (await auditor.GetAsync("/api/v1/audit/escalations?cursor=bogus")).ShouldBeProblem(HttpStatusCode.BadRequest);
    }
}
