using System.Net;
using System.Reflection;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>Every rule of POLICY.md exercised at least once through HTTP, against real PostgreSQL.</summary>
public sealed class PolicyRulesOverHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly Instant BeforeMerger = Instant.FromUtc(2025, 1, 15, 12, 0);

    private static string[] Rules(System.Text.Json.Nodes.JsonNode route) => [.. route["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>())];

    [Fact]
    public async Task AGE_CHILD_and_AGE_UNKNOWN_classify_the_service_user()
    {
        var child = await CaseApi.Open(api, ageYears: 15);
        (await child.PolicyFor())["classificationRuleId"]!.GetValue<string>().ShouldBe(RuleIds.AgeChild);
        var unknown = await CaseApi.Open(api, ageYears: null);
        var person = await unknown.PolicyFor();
        person["classification"]!.GetValue<string>().ShouldBe("UnknownTreatedAsChild");
        person["classificationRuleId"]!.GetValue<string>().ShouldBe(RuleIds.AgeUnknown);
    }

    [Fact]
    public async Task ADULT_AT_RISK_and_ADULT_NOT_AT_RISK_follow_the_three_answers()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        (await c.PolicyFor())["classificationRuleId"]!.GetValue<string>().ShouldBe(RuleIds.AdultNotAtRisk);
        await c.Officer.PutJson($"{c.Url}/persons/service-user", new { careAndSupportNeeds = true, experiencingOrAtRiskOfAbuseOrNeglect = true, unableToProtectSelf = true })
            .ShouldBe(HttpStatusCode.OK);
        var person = await c.PolicyFor();
        person["classificationRuleId"]!.GetValue<string>().ShouldBe(RuleIds.AdultAtRisk);
        (await c.View())["persons"]![0]!["ageYears"]!.GetValue<int>().ShouldBe(30, "recording the answers keeps the recorded age");
    }

    [Fact]
    public async Task POLICY_VERSION_and_LEGACY_NOTHING_ELSE_old_posts_stay_confidential()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var old = (await (await c.Disclose(BeforeMerger, Concern("Physical"))).Json())["disclosureId"]!.GetValue<Guid>();
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var disclosure = (await c.Policy())["disclosures"]![0]!;
        disclosure["policyVersion"]!.GetValue<string>().ShouldBe("Legacy");
        disclosure["ruleId"]!.GetValue<string>().ShouldBe(RuleIds.PolicyVersion);
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [old])), RuleIds.LegacyNothingElse);
    }

    [Fact]
    public async Task CURRENT_INFO_an_escalation_without_a_current_assessment_is_refused_with_record_a_new_one()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var d = await c.Disclosure(Concern("Neglect"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Neglect"));
        api.Clock.Advance(Duration.FromHours(25));
        var problem = await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])), RuleIds.CurrentInfo);
        problem["detail"]!.GetValue<string>().ShouldContain("Record a new risk assessment");
    }

    [Fact]
    public async Task EMERGENCY_LIFE_SAFETY_PLAN_FIRST_and_HISTORICAL_NOT_EMERGENCY()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        var historical = await c.Disclosure(Concern("RiskToLife", "Historical"));
        var current = await c.Disclosure(Concern("RiskToLife"));
        var a = await c.Assessment(Assessment("service-user", "Immediate", "Emergency"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("Emergency", "Ambulance999", a, [current])), RuleIds.SafetyPlanFirst);
        await c.SafetyPlan("BrokeDown");
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("Emergency", "Ambulance999", a, [historical])), RuleIds.HistoricalNotEmergency);
        var escalated = await (await c.Escalate(EscalationBody("Emergency", "Ambulance999", a, [current])).ShouldBe(HttpStatusCode.Created)).Json();
        escalated["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.EmergencyLife);
    }

    [Fact]
    public async Task CHILD_SAFEGUARDING_and_MINIMUM_NECESSARY()
    {
        var c = await CaseApi.Open(api, ageYears: 12);
        var d = await c.Disclosure(Concern("Neglect"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Neglect"));
        Rules((await c.PolicyFor())["nonEmergency"]!).ShouldContain(RuleIds.ChildSafeguarding);
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d], shared: [])), RuleIds.MinimumNecessary);
        await c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d], shared: ["Name", "DisclosureSummary"])).ShouldBe(HttpStatusCode.Created);
        (await c.View())["escalations"]![0]!["informationShared"]!.AsArray().Select(x => x!.GetValue<string>()).ShouldBe(["Name", "DisclosureSummary"]);
    }

    [Fact]
    public async Task ADULT_AT_RISK_SAFEGUARDING_goes_to_adult_social_care_not_childrens()
    {
        var c = await CaseApi.Open(api, ageYears: 45);
        await c.Officer.PutJson($"{c.Url}/persons/service-user", new { careAndSupportNeeds = true, experiencingOrAtRiskOfAbuseOrNeglect = true, unableToProtectSelf = true }).ShouldBe(HttpStatusCode.OK);
        var d = await c.Disclosure(Concern("Financial"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Financial"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])), RuleIds.ChildSafeguarding);
        var made = await (await c.Escalate(EscalationBody("NonEmergency", "AdultSocialCare", a, [d])).ShouldBe(HttpStatusCode.Created)).Json();
        made["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.AdultAtRiskSafeguarding);
    }

    [Fact]
    public async Task ADULT_NO_NON_EMERGENCY_and_OVERRIDE_by_two_different_leads()
    {
        var c = await CaseApi.Open(api, ageYears: 28);
        var d = await c.Disclosure(Concern("Domestic"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Domestic"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d])), RuleIds.AdultNoNonEmergency);

        var requested = await (await c.Lead1.PostJson($"{c.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = "Children in the household" })
            .ShouldBe(HttpStatusCode.Created)).Json();
        var overrideId = requested["overrideId"]!.GetValue<Guid>();
        var first = await (await c.Lead1.PostJson($"{c.Url}/overrides/{overrideId}/approvals", new { justification = "Agreed" }).ShouldBe(HttpStatusCode.Created)).Json();
        first["approved"]!.GetValue<bool>().ShouldBeFalse();
        await c.ShouldFail(() => c.Lead1.PostJson($"{c.Url}/overrides/{overrideId}/approvals", new { justification = "Again" }), HttpStatusCode.Conflict);
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: overrideId)), RuleIds.Override);
        var second = await (await c.Lead2.PostJson($"{c.Url}/overrides/{overrideId}/approvals", new { justification = "Agreed too" }).ShouldBe(HttpStatusCode.Created)).Json();
        second["approved"]!.GetValue<bool>().ShouldBeTrue();

        var made = await (await c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: overrideId)).ShouldBe(HttpStatusCode.Created)).Json();
        made["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.Override);
        var again = await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: overrideId)), HttpStatusCode.Conflict);
        again.RuleIds().ShouldBe([RuleIds.NoDuplicateEscalation]);
        var d2 = await c.Disclosure(Concern("Domestic"));
        var a2 = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Domestic"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a2, [d2], overrideId: overrideId)), RuleIds.Override);
        (await c.View())["overrides"]![0]!["usedByEscalation"]!.GetValue<Guid>().ShouldBe(made["escalationId"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task POSITION_OF_TRUST_the_LADO_for_the_children_a_coach_still_trains()
    {
        var c = await CaseApi.Open(api, ageYears: 24);
        var added = await (await c.Officer.PostJson($"{c.Url}/persons", new { reference = "club-juniors", description = "Children the coach still trains", ageBand = "Under13" })
            .ShouldBe(HttpStatusCode.Created)).Json();
        var children = added["personId"]!.GetValue<string>();
        children.ShouldBe("person-2");
        var d = await c.Disclosure(Concern("PositionOfTrust", "Historical"), Concern("PositionOfTrust", "Current", children));
        var a = await c.Assessment(Assessment("service-user", "None", "None"), Assessment(children, "None", "NonEmergency", "PositionOfTrust"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Lado", a, [d])), RuleIds.AdultNoNonEmergency);
        var made = await (await c.Escalate(EscalationBody("NonEmergency", "Lado", a, [d], personId: children)).ShouldBe(HttpStatusCode.Created)).Json();
        made["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.PositionOfTrust);
    }

    [Fact]
    public async Task MANDATORY_CSA_a_required_report_is_due_can_be_delayed_up_to_7_days_and_blocks_closing()
    {
        var c = await CaseApi.Open(api, ageYears: 14);
        await c.Disclosure(Concern("Sexual"));
        var person = await c.PolicyFor();
        person["nonEmergency"]!["status"]!.GetValue<string>().ShouldBe("Required");
        var due = (await c.View())["outstandingObligations"]!.AsArray().Single(o => o!["type"]!.GetValue<string>() == "ReportDue")!["dueBy"]!.GetValue<string>();
        var dueAt = NodaTime.Text.InstantPattern.ExtendedIso.Parse(due).Value;

        await c.ShouldRefuse(() => c.Clinician.PostJson($"{c.Url}/required-report-delays", new { personId = "service-user", until = Iso(dueAt + Duration.FromDays(8)), reason = "r" }), RuleIds.MandatoryCsa);
        await c.Clinician.PostJson($"{c.Url}/required-report-delays", new { personId = "service-user", until = Iso(dueAt + Duration.FromDays(3)), reason = "Reporting now would put the child at risk" })
            .ShouldBe(HttpStatusCode.Created);
        await c.ShouldRefuse(() => c.Close(), RuleIds.CloseObligations);

        var list = await (await c.Lead1.GetAsync("/api/v1/cases?obligation=ReportDue&pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        list["items"]!.AsArray().ShouldContain(i => i!["id"]!.GetValue<Guid>() == c.Id);
    }

    [Fact]
    public async Task CLINICIAN_DECIDES_only_clinicians_assess_and_the_assessment_must_recommend_the_route()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var d = await c.Disclosure(Concern("Physical"));
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/risk-assessments", new { assessments = new[] { Assessment("service-user", "None", "None") }, rationale = "r" }),
            HttpStatusCode.Forbidden);
        var a = await c.Assessment(Assessment("service-user", "None", "None", "Physical"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])), RuleIds.ClinicianDecides);
    }

    [Fact]
    public async Task RECORD_NO_ESCALATION_needs_a_risk_assessment_first()
    {
        var c = await CaseApi.Open(api, ageYears: 22);
        await c.ShouldRefuse(() => c.Clinician.PostJson($"{c.Url}/no-escalation-decisions", new { reason = "No concern" }), RuleIds.RecordNoEscalation);
        await c.Assessment(Assessment("service-user", "None", "None"));
        await c.Clinician.PostJson($"{c.Url}/no-escalation-decisions", new { reason = "No concern" }).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task TRANSPARENCY_WITHHELD_by_a_clinician_only_and_AGENCY_FEEDBACK_never_blocks_closing()
    {
        var c = await CaseApi.Open(api, ageYears: 19);
        var d = await c.Disclosure(Concern("RiskToLife"));
        await c.SafetyPlan("NotAttempted", c.Clinician);
        var a = await c.Assessment(Assessment("service-user", "Immediate", "Emergency"));
        var e = await c.Escalation(EscalationBody("Emergency", "Police999", a, [d]));

        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/transparency-notices/withheld", new { escalationId = e, reason = "NoMeansOfContact", detail = "x" }), HttpStatusCode.Forbidden);
        await c.Clinician.PostJson($"{c.Url}/transparency-notices/withheld", new { escalationId = e, reason = "NoMeansOfContact", detail = "Session ended, no contact details" })
            .ShouldBe(HttpStatusCode.Created);
        await c.ShouldFail(() => c.SendNotice(e), HttpStatusCode.Conflict);
        (await c.View())["escalations"]![0]!["transparencyNotice"]!["status"]!.GetValue<string>().ShouldBe("Withheld");

        await c.Close().ShouldBe(HttpStatusCode.OK);
        await c.Officer.PostJson($"{c.Url}/reopen", new { reason = "The police replied" }).ShouldBe(HttpStatusCode.OK);
        await c.Officer.PostJson($"{c.Url}/agency-responses", new { escalationId = e, summary = "Welfare check done" }).ShouldBe(HttpStatusCode.Created);
        (await c.View())["escalations"]![0]!["agencyResponses"]![0]!["summary"]!.GetValue<string>().ShouldBe("Welfare check done");
    }

    [Fact]
    public async Task TRANSPARENCY_and_CLOSE_OBLIGATIONS_a_notice_is_owed_until_sent()
    {
        var c = await CaseApi.Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var e = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        var list = await (await c.Lead1.GetAsync("/api/v1/cases?obligation=TransparencyNoticeDue&pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        list["items"]!.AsArray().ShouldContain(i => i!["id"]!.GetValue<Guid>() == c.Id);
        await c.ShouldRefuse(() => c.Close(), RuleIds.CloseObligations);
        await c.SendNotice(e).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task LEGACY_LIFE_and_LEGACY_POSITION_OF_TRUST_for_pre_merger_disclosures()
    {
        var c = await CaseApi.Open(api, ageYears: 16);
        var life = (await (await c.Disclose(BeforeMerger, Concern("RiskToLife"))).Json())["disclosureId"]!.GetValue<Guid>();
        var trust = (await (await c.Disclose(BeforeMerger, Concern("PositionOfTrust"))).Json())["disclosureId"]!.GetValue<Guid>();
        await c.SafetyPlan("NotPossible");
        var emergency = await c.Assessment(Assessment("service-user", "Immediate", "Emergency"));
        var made = await (await c.Escalate(EscalationBody("Emergency", "Police999", emergency, [life])).ShouldBe(HttpStatusCode.Created)).Json();
        made["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.LegacyLife);
        made["decision"]!["policyVersion"]!.GetValue<string>().ShouldBe("Legacy");

        var referral = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "PositionOfTrust"));
        var lado = await (await c.Escalate(EscalationBody("NonEmergency", "Lado", referral, [trust])).ShouldBe(HttpStatusCode.Created)).Json();
        lado["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.LegacyPositionOfTrust);
    }

    [Fact]
    public void Every_rule_id_is_exercised_over_http_by_a_test_named_for_it()
    {
        var names = new[] { GetType(), typeof(PolicyChangesOverHttpTests), typeof(Access.NeedToKnowTests), typeof(Retention.RetentionTests) }.SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance))
            .Where(m => m.GetCustomAttributes().Any(a => a is FactAttribute))
            .Select(m => m.Name.Replace('_', '-'))
            .ToList();
        RuleIds.All.Where(id => !names.Any(n => n.Contains(id, StringComparison.Ordinal))).ShouldBeEmpty();
    }
}
