using System.Net;
using Npgsql;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Audit;

/// <summary>Auditors reconstruct and verify a case: as-of, tamper evidence, decision re-check, access log, reports.</summary>
public sealed class AuditorTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private HttpClient Auditor => api.ClientAs("auditor-9", Roles.Auditor);

    private async Task<(CaseApi Case, Guid Escalation, long EscalationVersion)> EscalatedCase(int age = 15)
    {
        var c = await CaseApi.Open(api, ageYears: age);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var e = await c.Escalation(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d]));
        return (c, e, await c.Version());
    }

    private async Task Execute(string sql)
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        (await command.ExecuteNonQueryAsync()).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task As_of_shows_the_case_before_and_after_an_escalation()
    {
        var (c, _, escalationVersion) = await EscalatedCase();
        var before = await (await Auditor.GetAsync($"{c.Url}/as-of?version={escalationVersion - 1}").ShouldBe(HttpStatusCode.OK)).Json();
        before["version"]!.GetValue<long>().ShouldBe(escalationVersion - 1);
        before["escalations"]!.AsArray().ShouldBeEmpty();
        var after = await Auditor.GetAsync($"{c.Url}/as-of?version={escalationVersion}").ShouldBe(HttpStatusCode.OK);
        after.ETag().ShouldBe($"\"{escalationVersion}\"");
        (await after.Json())["escalations"]!.AsArray().Count.ShouldBe(1);

        var history = await (await Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Json();
        var escalatedAt = history["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "EscalationMade")!["recordedAt"]!.GetValue<string>();
        var instant = NodaTime.Text.InstantPattern.ExtendedIso.Parse(escalatedAt).Value;
        var justBefore = await (await Auditor.GetAsync($"{c.Url}/as-of?at={Iso(instant - Duration.FromTicks(1))}").ShouldBe(HttpStatusCode.OK)).Json();
        justBefore["escalations"]!.AsArray().ShouldBeEmpty();
        var atIt = await (await Auditor.GetAsync($"{c.Url}/as-of?at={Iso(instant)}").ShouldBe(HttpStatusCode.OK)).Json();
        atIt["escalations"]!.AsArray().Count.ShouldBe(1);
        var lead = api.ClientFor(Roles.SafeguardingLead);
        await lead.GetAsync($"{c.Url}/as-of?version=1").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task As_of_is_404_before_the_case_began_or_past_its_end_and_400_for_a_bad_query()
    {
        var c = await CaseApi.Open(api);
        await (await Auditor.GetAsync($"{c.Url}/as-of?version=2")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await Auditor.GetAsync($"{c.Url}/as-of?at={Iso(Instant.FromUtc(2020, 1, 1, 0, 0))}")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await Auditor.GetAsync($"{c.Url}/as-of?version=0")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Auditor.GetAsync($"{c.Url}/as-of")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Auditor.GetAsync($"{c.Url}/as-of?version=1&at={Iso(api.Clock.GetCurrentInstant())}")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Auditor.GetAsync($"{c.Url}/as-of?at=yesterday")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Auditor.GetAsync($"/api/v1/cases/{Guid.NewGuid()}/as-of?version=1")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await api.ClientFor(Roles.SafeguardingOfficer).GetAsync($"{c.Url}/as-of?version=1")).ShouldBeProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_hash_chain_holds_and_breaks_where_a_stored_event_was_altered_in_postgres()
    {
        var (c, _, version) = await EscalatedCase();
        var intact = await (await Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        intact["valid"]!.GetValue<bool>().ShouldBeTrue();
        intact["events"]!.GetValue<long>().ShouldBe(version);
        intact["firstBrokenVersion"].ShouldBeNull();

        await Execute($"update mt_events set data = jsonb_set(data, '{{summary}}', '\"edited after the fact\"') where stream_id = '{c.Id}' and version = 2");

        var broken = await (await Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        broken["valid"]!.GetValue<bool>().ShouldBeFalse();
        broken["events"]!.GetValue<long>().ShouldBe(version);
        broken["firstBrokenVersion"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task Adding_a_field_or_deleting_the_last_event_breaks_the_chain_too()
    {
        var (c, _, version) = await EscalatedCase();
        await Execute($"update mt_events set data = data || '{{\"extra\": true}}' where stream_id = '{c.Id}' and version = 3");
        (await (await Auditor.GetAsync($"{c.Url}/integrity")).Json())["firstBrokenVersion"]!.GetValue<long>().ShouldBe(3);

        var (d, _, last) = await EscalatedCase();
        await Execute($"delete from mt_events where stream_id = '{d.Id}' and version = {last}");
        var report = await (await Auditor.GetAsync($"{d.Url}/integrity")).Json();
        report["valid"]!.GetValue<bool>().ShouldBeFalse();
        report["firstBrokenVersion"]!.GetValue<long>().ShouldBe(last);
        version.ShouldBeGreaterThan(3);
    }

    [Fact]
    public async Task An_escalation_whose_event_was_deleted_is_flagged_not_a_500()
    {
        var from = api.Clock.GetCurrentInstant();
        var (c, escalation, version) = await EscalatedCase();
        await Execute($"delete from mt_events where stream_id = '{c.Id}' and version = {version}");

        var to = api.Clock.GetCurrentInstant() + Duration.FromSeconds(1);
        var audit = await (await Auditor.GetAsync($"/api/v1/audit/escalations?from={Iso(from)}&to={Iso(to)}").ShouldBe(HttpStatusCode.OK)).Json();
        var row = audit["escalations"]!.AsArray().Single(e => e!["escalationId"]!.GetValue<Guid>() == escalation)!;
        row["mismatch"]!.GetValue<bool>().ShouldBeTrue();
        row["recheck"]!["refusal"]!.GetValue<string>().ShouldContain("integrity");
    }

    [Fact]
    public async Task Integrity_is_for_auditors_and_404_for_an_unknown_case()
    {
        var c = await CaseApi.Open(api);
        await (await api.ClientFor(Roles.SafeguardingLead).GetAsync($"{c.Url}/integrity")).ShouldBeProblem(HttpStatusCode.Forbidden);
        await (await Auditor.GetAsync($"/api/v1/cases/{Guid.NewGuid()}/integrity")).ShouldBeProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_escalation_audit_rechecks_each_escalation_and_flags_overrides_and_mismatches()
    {
        var from = api.Clock.GetCurrentInstant();
        var (plain, plainEscalation, _) = await EscalatedCase();

        var adult = await CaseApi.Open(api, ageYears: 30);
        var d = await adult.Disclosure(Concern("Domestic"));
        var a = await adult.Assessment(Assessment("service-user", "None", "NonEmergency", "Domestic"));
        var o = (await (await adult.Lead1.PostJson($"{adult.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = "j" }).ShouldBe(HttpStatusCode.Created)).Json())["overrideId"]!.GetValue<Guid>();
        await adult.Lead1.PostJson($"{adult.Url}/overrides/{o}/approvals", new { justification = "j" }).ShouldBe(HttpStatusCode.Created);
        await adult.Lead2.PostJson($"{adult.Url}/overrides/{o}/approvals", new { justification = "j" }).ShouldBe(HttpStatusCode.Created);
        var overridden = await adult.Escalation(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: o));

        var (tampered, tamperedEscalation, tamperedVersion) = await EscalatedCase();
        // The recorded decision claims a rule the policy would not cite: the re-check must flag it.
        await Execute($"update mt_events set data = jsonb_set(data, '{{decision,ruleIds}}', '[\"POSITION-OF-TRUST\"]') where stream_id = '{tampered.Id}' and version = {tamperedVersion}");

        var to = api.Clock.GetCurrentInstant() + Duration.FromSeconds(1);
        var audit = await (await Auditor.GetAsync($"/api/v1/audit/escalations?from={Iso(from)}&to={Iso(to)}").ShouldBe(HttpStatusCode.OK)).Json();
        var rows = audit["escalations"]!.AsArray().ToDictionary(e => e!["escalationId"]!.GetValue<Guid>(), e => e!);

        rows[plainEscalation]["mismatch"]!.GetValue<bool>().ShouldBeFalse();
        rows[plainEscalation]["overridden"]!.GetValue<bool>().ShouldBeFalse();
        rows[plainEscalation]["recheck"]!["permitted"]!.GetValue<bool>().ShouldBeTrue();
        rows[plainEscalation]["caseId"]!.GetValue<Guid>().ShouldBe(plain.Id);

        rows[overridden]["overridden"]!.GetValue<bool>().ShouldBeTrue();
        rows[overridden]["recheck"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("OVERRIDE");

        rows[tamperedEscalation]["mismatch"]!.GetValue<bool>().ShouldBeTrue();
        audit["mismatches"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(1);
        audit["overrides"]!.GetValue<int>().ShouldBeGreaterThanOrEqualTo(1);

        var outside = await (await Auditor.GetAsync($"/api/v1/audit/escalations?from={Iso(from - Duration.FromDays(10))}&to={Iso(from)}").ShouldBe(HttpStatusCode.OK)).Json();
        outside["escalations"]!.AsArray().Select(e => e!["escalationId"]!.GetValue<Guid>()).ShouldNotContain(plainEscalation);
        await (await Auditor.GetAsync($"/api/v1/audit/escalations?from={Iso(to)}&to={Iso(from)}")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await api.ClientFor(Roles.SafeguardingLead).GetAsync("/api/v1/audit/escalations")).ShouldBeProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Every_read_of_a_case_is_logged_outside_its_stream()
    {
        var c = await CaseApi.Open(api);
        var version = (await api.EventsOf(c.Id)).Count;
        var reader = api.ClientAs("lead-reader", Roles.SafeguardingLead);
        await reader.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await reader.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK);
        await reader.GetAsync($"{c.Url}/policy").ShouldBe(HttpStatusCode.OK);
        await reader.GetAsync($"{c.Url}/as-of?version=1").ShouldBe(HttpStatusCode.OK);
        await Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}").ShouldBe(HttpStatusCode.OK)).Json();
        var entries = log["items"]!.AsArray();
        var routes = entries.Where(e => e!["subject"]!.GetValue<string>() == "lead-reader").Select(e => e!["route"]!.GetValue<string>()).ToList();
        routes.ShouldBe(["GET /api/v1/cases/{id}/as-of", "GET /api/v1/cases/{id}/policy", "GET /api/v1/cases/{id}/history", "GET /api/v1/cases/{id}"]);
        entries.ShouldContain(e => e!["subject"]!.GetValue<string>() == "auditor-9" && e["route"]!.GetValue<string>() == "GET /api/v1/cases/{id}/integrity");
        entries.ShouldAllBe(e => e!["caseId"]!.GetValue<Guid>() == c.Id && e["found"]!.GetValue<bool>());
        (await api.EventsOf(c.Id)).Count.ShouldBe(version, "reads do not change the case's version");
        await (await api.ClientFor(Roles.SafeguardingLead).GetAsync($"/api/v1/audit/access?caseId={c.Id}")).ShouldBeProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_read_of_a_case_that_does_not_exist_is_logged_as_not_found()
    {
        var unknown = Guid.NewGuid();
        await (await api.ClientFor(Roles.SafeguardingOfficer).GetAsync($"/api/v1/cases/{unknown}")).ShouldBeProblem(HttpStatusCode.NotFound);
        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={unknown}").ShouldBe(HttpStatusCode.OK)).Json();
        log["items"]!.AsArray().Single()!["found"]!.GetValue<bool>().ShouldBeFalse();
    }

    [Fact]
    public async Task The_report_counts_decisions_per_iso_week_by_route_and_age_group()
    {
        var from = api.Clock.GetCurrentInstant();
        await EscalatedCase(age: 15);

        var adult = await CaseApi.Open(api, ageYears: 40);
        await adult.Disclosure(Concern("RiskToLife"));
        await adult.SafetyPlan("NotPossible");
        var a = await adult.Assessment(Assessment("service-user", "Immediate", "Emergency"));
        var d = (await adult.View())["disclosures"]![0]!["id"]!.GetValue<Guid>();
        await adult.Escalation(EscalationBody("Emergency", "Ambulance999", a, [d]));

        var none = await CaseApi.Open(api, ageYears: null);
        await none.Disclosure(Concern("Psychological", "Historical"));
        await none.Assessment(Assessment("service-user", "None", "None"));
        await none.Clinician.PostJson($"{none.Url}/no-escalation-decisions", new { reason = "Historical, no current risk" }).ShouldBe(HttpStatusCode.Created);

        var to = api.Clock.GetCurrentInstant() + Duration.FromSeconds(1);
        var report = await (await api.ClientFor(Roles.SafeguardingLead).GetAsync($"/api/v1/reports/escalations?from={Iso(from)}&to={Iso(to)}").ShouldBe(HttpStatusCode.OK)).Json();
        report["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(1);
        report["byRoute"]!["nonEmergency"]!.GetValue<int>().ShouldBe(1);
        report["byRoute"]!["noneRecorded"]!.GetValue<int>().ShouldBe(1);
        report["byAgeGroup"]!["child"]!.GetValue<int>().ShouldBe(1);
        report["byAgeGroup"]!["adultNotAtRisk"]!.GetValue<int>().ShouldBe(1);
        report["byAgeGroup"]!["unknown"]!.GetValue<int>().ShouldBe(1);
        var weeks = report["weeks"]!.AsArray();
        weeks.Sum(w => w!["total"]!.GetValue<int>()).ShouldBe(3);
        weeks.ShouldAllBe(w => System.Text.RegularExpressions.Regex.IsMatch(w!["week"]!.GetValue<string>(), @"^\d{4}-W\d{2}$"));
        await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/reports/escalations?from={Iso(from)}&to={Iso(to)}").ShouldBe(HttpStatusCode.OK);
        await (await api.ClientFor(Roles.SafeguardingOfficer).GetAsync("/api/v1/reports/escalations")).ShouldBeProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_glossary_is_public_and_defines_the_policy_terms()
    {
        var glossary = await (await api.ClientFor().GetAsync("/api/v1/glossary").ShouldBe(HttpStatusCode.OK)).Json();
        var terms = glossary["terms"]!.AsArray().Select(t => t!["term"]!.GetValue<string>()).ToList();
        terms.ShouldContain("Position of trust");
        terms.ShouldContain("LADO");
        terms.ShouldContain("Transparency notice");
        glossary["ruleIds"]!.AsArray().Count.ShouldBe(Domain.Policy.RuleIds.All.Count);
    }
}
