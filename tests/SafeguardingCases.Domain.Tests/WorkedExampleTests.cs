using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Cases.ConcernCategory;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>The worked examples of POLICY.md, as written.</summary>
public sealed class WorkedExampleTests
{
    [Fact]
    public void Example_1_sixteen_year_old_hit_by_a_parent_non_emergency_to_childrens_social_care_is_permitted()
    {
        var c = new CaseBuilder(16);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);

        var person = c.Person();
        person.Classification.ShouldBe(PersonClassification.Child);
        person.NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        person.NonEmergency.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
        person.NonEmergency.Agencies.ShouldContain(Agency.ChildrensSocialCare);
        person.Emergency.Status.ShouldBe(RouteStatus.NotPermitted);

        var escalation = c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d]));
        c.State.FindEscalation(escalation)!.Made.Decision.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
        c.TryEscalate(Request(Route.Emergency, Agency.Police999, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.EmergencyLife);
    }

    [Fact]
    public void Example_2_twenty_two_year_old_describing_childhood_abuse_confidentiality_is_kept()
    {
        var c = new CaseBuilder(22);
        c.Answers(c.ServiceUser, care: false, abuse: false, unable: false);
        var d = c.Disclose(H(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.None);

        var person = c.Person();
        person.Classification.ShouldBe(PersonClassification.AdultNotAtRisk);
        person.NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        person.NonEmergency.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);
        person.Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        person.Emergency.RuleIds.ShouldContain(RuleIds.HistoricalNotEmergency);
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.NoEscalationDecisionDue && o.RuleId == RuleIds.RecordNoEscalation);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);
    }

    [Fact]
    public void Example_3_nineteen_year_old_with_an_overdose_taken_ambulance_is_permitted_and_a_notice_is_due_in_24_hours()
    {
        var c = new CaseBuilder(19);
        var d = c.Disclose(C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        var a = c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);

        var person = c.Person();
        person.Emergency.Status.ShouldBe(RouteStatus.Permitted);
        person.Emergency.RuleIds.ShouldContain(RuleIds.EmergencyLife);
        person.Emergency.RuleIds.ShouldContain(RuleIds.SafetyPlanFirst);

        var escalation = c.Escalate(Request(Route.Emergency, Agency.Ambulance999, c.ServiceUser, a, [d]));
        var made = c.State.FindEscalation(escalation)!.Made;
        c.Evaluate().Obligations.Single(o => o.Type == ObligationType.TransparencyNoticeDue).DueBy.ShouldBe(made.At + Duration.FromHours(24));
    }
}
