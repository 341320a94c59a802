using System.Net;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>POLICY.md's worked examples end to end: open, disclosure, assessment, escalation (or not), notice, close.</summary>
public sealed class WorkedExamplesOverHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Example_1_sixteen_year_old_hit_by_a_parent_goes_to_childrens_social_care()
    {
        var c = await CaseApi.Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));

        var person = await c.PolicyFor();
        person["classification"]!.GetValue<string>().ShouldBe("Child");
        person["nonEmergency"]!["status"]!.GetValue<string>().ShouldBe("Permitted");
        person["nonEmergency"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("CHILD-SAFEGUARDING");
        person["emergency"]!["status"]!.GetValue<string>().ShouldBe("NotPermitted");

        await c.ShouldRefuse(() => c.Escalate(EscalationBody("Emergency", "Police999", a, [d])), "EMERGENCY-LIFE");
        var escalated = await c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])).ShouldBe(HttpStatusCode.Created);
        var body = await escalated.Json();
        body["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("CHILD-SAFEGUARDING");
        body["decision"]!["policyVersion"]!.GetValue<string>().ShouldBe("Unified");
        var escalation = body["escalationId"]!.GetValue<Guid>();

        await c.ShouldRefuse(() => c.Close(), "CLOSE-OBLIGATIONS");
        await c.SendNotice(escalation).ShouldBe(HttpStatusCode.Created);
        var closed = await c.Close().ShouldBe(HttpStatusCode.OK);
        (await closed.Json())["status"]!.GetValue<string>().ShouldBe("Closed");
        (await c.View())["status"]!.GetValue<string>().ShouldBe("Closed");
    }

    [Fact]
    public async Task Example_2_adult_describing_childhood_abuse_confidentiality_kept_and_no_escalation_recorded()
    {
        var c = await CaseApi.Open(api, ageYears: 22);
        await c.Officer.PutJson($"{c.Url}/persons/service-user", new { careAndSupportNeeds = false, experiencingOrAtRiskOfAbuseOrNeglect = false, unableToProtectSelf = false })
            .ShouldBe(HttpStatusCode.OK);
        var d = await c.Disclosure(Concern("Sexual", "Historical"));
        var a = await c.Assessment(Assessment("service-user", "None", "None"));

        var person = await c.PolicyFor();
        person["classification"]!.GetValue<string>().ShouldBe("AdultNotAtRisk");
        person["nonEmergency"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("ADULT-NO-NON-EMERGENCY");
        person["emergency"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("HISTORICAL-NOT-EMERGENCY");
        (await c.Policy())["obligations"]!.AsArray().Select(o => o!["type"]!.GetValue<string>()).ShouldContain("NoEscalationDecisionDue");

        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d])), "ADULT-NO-NON-EMERGENCY");
        await c.Clinician.PostJson($"{c.Url}/no-escalation-decisions", new { reason = "Adult, historical abuse, no children known to be at risk" }).ShouldBe(HttpStatusCode.Created);
        (await c.Policy())["obligations"]!.AsArray().ShouldBeEmpty();
        await c.Close().ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Example_3_nineteen_year_old_overdose_ambulance_and_a_notice_due_in_24_hours()
    {
        var c = await CaseApi.Open(api, ageYears: 19);
        var d = await c.Disclosure(Concern("RiskToLife"));
        await c.SafetyPlan("NotPossible");
        var a = await c.Assessment(Assessment("service-user", "Immediate", "Emergency"));

        var person = await c.PolicyFor();
        person["emergency"]!["status"]!.GetValue<string>().ShouldBe("Permitted");
        person["emergency"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe(["EMERGENCY-LIFE", "CURRENT-INFO", "CLINICIAN-DECIDES", "SAFETY-PLAN-FIRST"], ignoreOrder: true);

        var escalation = await c.Escalation(EscalationBody("Emergency", "Ambulance999", a, [d], shared: ["Phone", "AddressOrLocation"]));
        var view = await c.View();
        var made = view["escalations"]![0]!;
        var madeAt = InstantFrom(made["madeAt"]!.GetValue<string>());
        var notice = view["outstandingObligations"]!.AsArray().Single(o => o!["type"]!.GetValue<string>() == "TransparencyNoticeDue")!;
        InstantFrom(notice["dueBy"]!.GetValue<string>()).ShouldBe(madeAt + Duration.FromHours(24));
        made["transparencyNotice"]!["status"]!.GetValue<string>().ShouldBe("Due");

        await c.SendNotice(escalation).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
    }

    private static Instant InstantFrom(string iso) => NodaTime.Text.InstantPattern.ExtendedIso.Parse(iso).Value;
}
