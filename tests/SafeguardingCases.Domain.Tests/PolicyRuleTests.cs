using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Cases.ConcernCategory;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>Every rule of POLICY.md, both sides: a state where it permits or requires, and one where it refuses.</summary>
public sealed partial class PolicyRuleTests
{
    // ---- 1. Who is at risk ----

    [Theory]
    [InlineData(16, null, PersonClassification.Child)]
    [InlineData(17, null, PersonClassification.Child)]
    [InlineData(null, AgeBand.Under13, PersonClassification.Child)]
    [InlineData(null, AgeBand.Age16To17, PersonClassification.Child)]
    [InlineData(18, null, PersonClassification.AdultNotAtRisk)]
    [InlineData(null, AgeBand.Age18To24, PersonClassification.AdultNotAtRisk)]
    [InlineData(null, AgeBand.Age25Plus, PersonClassification.AdultNotAtRisk)]
    public void AGE_CHILD_under_18_is_a_child_and_18_is_not(int? years, AgeBand? band, PersonClassification expected)
    {
        var decision = new CaseBuilder(years, band).Person();
        decision.Classification.ShouldBe(expected);
        decision.ClassificationRuleId.ShouldBe(expected == PersonClassification.Child ? RuleIds.AgeChild : RuleIds.AdultNotAtRisk);
    }

    [Fact]
    public void AGE_UNKNOWN_unknown_age_is_treated_as_a_child_until_an_age_is_recorded()
    {
        var c = new CaseBuilder(null, AgeBand.Unknown);
        c.Person().Classification.ShouldBe(PersonClassification.UnknownTreatedAsChild);
        c.Person().ClassificationRuleId.ShouldBe(RuleIds.AgeUnknown);

        c.Answers(c.ServiceUser, null, null, null, ageYears: 20);
        c.Person().Classification.ShouldBe(PersonClassification.AdultNotAtRisk);
    }

    [Fact]
    public void AGE_UNKNOWN_unknown_age_gets_the_protective_child_route()
    {
        var c = new CaseBuilder(null);
        var d = c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
        d.ShouldNotBe(Guid.Empty);
    }

    [Fact]
    public void ADULT_AT_RISK_needs_all_three_answers_recorded_as_yes()
    {
        var c = new CaseBuilder(30);
        c.AdultAtRisk(c.ServiceUser);
        c.Person().Classification.ShouldBe(PersonClassification.AdultAtRisk);
        c.Person().ClassificationRuleId.ShouldBe(RuleIds.AdultAtRisk);
    }

    [Theory]
    [InlineData(true, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, null)]
    [InlineData(null, null, null)]
    public void ADULT_NOT_AT_RISK_any_answer_not_yes_leaves_an_adult_not_at_risk(bool? care, bool? abuse, bool? unable)
    {
        var c = new CaseBuilder(30);
        c.Answers(c.ServiceUser, care, abuse, unable);
        c.Person().Classification.ShouldBe(PersonClassification.AdultNotAtRisk);
        c.Person().ClassificationRuleId.ShouldBe(RuleIds.AdultNotAtRisk);
    }

    // ---- 2. What was disclosed, and when ----

    [Fact]
    public void POLICY_VERSION_disclosures_from_the_effective_instant_are_unified_and_earlier_ones_legacy()
    {
        var c = new CaseBuilder();
        var before = c.DiscloseAt(EffectiveFrom - Duration.FromSeconds(1), C(Physical));
        var at = c.DiscloseAt(EffectiveFrom, C(Physical));
        var versions = c.Evaluate().Disclosures.ToDictionary(d => d.DisclosureId);
        versions[before].PolicyVersion.ShouldBe(PolicyVersion.Legacy);
        versions[at].PolicyVersion.ShouldBe(PolicyVersion.Unified);
        versions.Values.ShouldAllBe(v => v.RuleId == RuleIds.PolicyVersion);
    }

    [Fact]
    public void CURRENT_INFO_without_an_assessment_the_answer_is_record_one()
    {
        var c = new CaseBuilder();
        c.Disclose(C(Physical));
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.NotPermitted);
        route.RuleIds.ShouldContain(RuleIds.CurrentInfo);
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.RiskAssessmentNeeded && o.PersonId == c.ServiceUser);
    }

    [Fact]
    public void CURRENT_INFO_an_assessment_made_before_the_latest_disclosure_is_not_current()
    {
        var c = new CaseBuilder();
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);

        c.Disclose(C(Neglect));
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.CurrentInfo);
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.RiskAssessmentNeeded);
    }

    [Fact]
    public void CURRENT_INFO_an_assessment_expires_after_24_hours_and_after_1_hour_for_emergencies()
    {
        var c = new CaseBuilder(19);
        c.AdultAtRisk(c.ServiceUser, 19);
        c.Disclose(C(RiskToLife), C(Neglect));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency, Neglect);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.Permitted);

        c.After(Duration.FromMinutes(61));
        c.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().Emergency.RuleIds.ShouldBe([RuleIds.CurrentInfo]);

        var d = c.Disclose(C(Neglect));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Neglect);
        c.After(Duration.FromHours(23));
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.After(Duration.FromHours(2));
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.CurrentInfo);
        d.ShouldNotBe(Guid.Empty);
    }

    [Fact]
    public void CURRENT_INFO_an_escalation_must_cite_the_latest_assessment_of_the_person()
    {
        var c = new CaseBuilder();
        var d = c.Disclose(C(Physical));
        var older = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.None);

        var refused = c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, older, [d]));

        refused.Refusal!.RuleIds.ShouldContain(RuleIds.CurrentInfo);
        refused.Events.ShouldBeEmpty();
    }

    [Fact]
    public void CURRENT_INFO_an_escalation_must_rely_on_at_least_one_disclosure()
    {
        var c = new CaseBuilder();
        c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [])).Refusal!.RuleIds.ShouldContain(RuleIds.CurrentInfo);
    }

    // ---- 3. The unified policy ----

    [Theory]
    [InlineData(15)]
    [InlineData(22)]
    [InlineData(70)]
    public void EMERGENCY_LIFE_an_immediate_threat_permits_an_emergency_whatever_the_age(int age)
    {
        var c = new CaseBuilder(age);
        c.Disclose(C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        var route = c.Person().Emergency;
        route.Status.ShouldBe(RouteStatus.Permitted);
        route.RuleIds.ShouldContain(RuleIds.EmergencyLife);
        route.Agencies.ShouldBe([Agency.Police999, Agency.Ambulance999]);
    }

    [Theory]
    [InlineData(ThreatToLife.None)]
    [InlineData(ThreatToLife.NotImmediate)]
    public void EMERGENCY_LIFE_no_immediate_threat_no_emergency(ThreatToLife threat)
    {
        var c = new CaseBuilder(22);
        c.Disclose(C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, threat, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().Emergency.RuleIds.ShouldContain(RuleIds.EmergencyLife);
    }

    [Theory]
    [InlineData(SafetyPlanOutcome.NotPossible)]
    [InlineData(SafetyPlanOutcome.BrokeDown)]
    public void SAFETY_PLAN_FIRST_a_plan_not_possible_or_broken_down_meets_the_rule(SafetyPlanOutcome outcome)
    {
        var c = new CaseBuilder(22);
        c.Disclose(C(RiskToLife));
        c.SafetyPlan(outcome);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Person().Emergency.RuleIds.ShouldContain(RuleIds.SafetyPlanFirst);
    }

    [Fact]
    public void SAFETY_PLAN_FIRST_without_an_attempt_no_emergency_and_an_obligation()
    {
        var c = new CaseBuilder(22);
        c.Disclose(C(RiskToLife));
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().Emergency.RuleIds.ShouldBe([RuleIds.SafetyPlanFirst]);
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.SafetyPlanFirst && o.RuleId == RuleIds.SafetyPlanFirst);
    }

    [Fact]
    public void SAFETY_PLAN_FIRST_an_agreed_plan_means_no_emergency()
    {
        var c = new CaseBuilder(22);
        c.Disclose(C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.Agreed);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.RuleIds.ShouldBe([RuleIds.SafetyPlanFirst]);
    }

    [Fact]
    public void SAFETY_PLAN_FIRST_not_attempted_needs_a_clinicians_reason()
    {
        var byOfficer = new CaseBuilder(22);
        byOfficer.Disclose(C(RiskToLife));
        byOfficer.SafetyPlan(SafetyPlanOutcome.NotAttempted, Officer);
        byOfficer.Assess(byOfficer.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        byOfficer.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);

        var byClinician = new CaseBuilder(22);
        byClinician.Disclose(C(RiskToLife));
        byClinician.SafetyPlan(SafetyPlanOutcome.NotAttempted, Clinician);
        byClinician.Assess(byClinician.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        byClinician.Person().Emergency.Status.ShouldBe(RouteStatus.Permitted);
    }

    [Fact]
    public void SAFETY_PLAN_FIRST_an_attempt_before_the_latest_disclosure_does_not_count()
    {
        var c = new CaseBuilder(22);
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Disclose(C(RiskToLife));
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.RuleIds.ShouldBe([RuleIds.SafetyPlanFirst]);
    }

    [Fact]
    public void HISTORICAL_NOT_EMERGENCY_historical_concerns_never_support_an_emergency()
    {
        var c = new CaseBuilder(22);
        c.Disclose(H(RiskToLife), H(Physical));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().Emergency.RuleIds.ShouldBe([RuleIds.HistoricalNotEmergency]);
    }

    [Fact]
    public void HISTORICAL_NOT_EMERGENCY_a_current_concern_alongside_a_historical_one_can_support_it()
    {
        var c = new CaseBuilder(22);
        c.Disclose(H(Physical), C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.BrokeDown);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.Permitted);
    }

    [Theory]
    [InlineData(Physical)]
    [InlineData(Neglect)]
    [InlineData(Sexual)]
    [InlineData(Exploitation)]
    [InlineData(Domestic)]
    public void CHILD_SAFEGUARDING_a_current_safeguarding_concern_about_a_child_permits_non_emergency(ConcernCategory category)
    {
        var c = new CaseBuilder(14, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        c.Disclose(C(category));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, category);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.Permitted);
        route.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
        route.Agencies.ShouldBe([Agency.ChildrensSocialCare, Agency.Police101], ignoreOrder: true);
    }

    [Theory]
    [InlineData(RiskToLife)]
    [InlineData(SelfHarm)]
    public void CHILD_SAFEGUARDING_risk_to_life_or_self_harm_alone_is_not_a_safeguarding_concern(ConcernCategory category)
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(category));
        c.Assess(c.ServiceUser, ThreatToLife.NotImmediate, Route.NonEmergency, category);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
    }

    [Fact]
    public void CHILD_SAFEGUARDING_a_historical_concern_does_not_permit_it()
    {
        var c = new CaseBuilder(14);
        c.Disclose(H(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
    }

    [Fact]
    public void CHILD_SAFEGUARDING_the_clinician_must_accept_the_concern_as_current()
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
    }

    [Fact]
    public void ADULT_AT_RISK_SAFEGUARDING_permits_adult_social_care_or_101()
    {
        var c = new CaseBuilder(40);
        c.AdultAtRisk(c.ServiceUser, 40);
        var d = c.Disclose(C(Financial));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Financial);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.Permitted);
        route.RuleIds.ShouldContain(RuleIds.AdultAtRiskSafeguarding);
        route.Agencies.ShouldBe([Agency.AdultSocialCare, Agency.Police101], ignoreOrder: true);

        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.ChildSafeguarding);
        c.Escalate(Request(Route.NonEmergency, Agency.AdultSocialCare, c.ServiceUser, a, [d]));
    }

    [Fact]
    public void ADULT_AT_RISK_SAFEGUARDING_adult_social_care_is_not_for_children()
    {
        var c = new CaseBuilder(15, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var d = c.Disclose(C(Neglect));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Neglect);
        var refused = c.TryEscalate(Request(Route.NonEmergency, Agency.AdultSocialCare, c.ServiceUser, a, [d]));
        refused.Refusal!.RuleIds.ShouldBe([RuleIds.AdultAtRiskSafeguarding]);
    }

    [Fact]
    public void ADULT_NO_NON_EMERGENCY_an_adult_not_at_risk_never_gets_a_non_emergency_escalation()
    {
        var c = new CaseBuilder(25);
        var d = c.Disclose(C(Physical), C(Domestic));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical, Domestic);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.NotPermitted);
        route.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);
    }

    [Fact]
    public void ADULT_NO_NON_EMERGENCY_does_not_apply_to_an_adult_at_risk()
    {
        var c = new CaseBuilder(25);
        c.AdultAtRisk(c.ServiceUser, 25);
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.RuleIds.ShouldNotContain(RuleIds.AdultNoNonEmergency);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
    }

    [Fact]
    public void POSITION_OF_TRUST_an_adult_describing_a_coach_who_still_coaches_permits_a_LADO_referral_for_the_children()
    {
        var c = new CaseBuilder(24);
        var children = c.AddPerson(null, AgeBand.Under13, "children the coach still trains");
        var d = c.Disclose(H(PositionOfTrust), H(Sexual), C(PositionOfTrust, children));
        var a = c.Assess(
            new PersonAssessment(c.ServiceUser, ThreatToLife.None, [], Route.None),
            new PersonAssessment(children, ThreatToLife.None, [PositionOfTrust], Route.NonEmergency));

        c.Person(children).NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Person(children).NonEmergency.RuleIds.ShouldContain(RuleIds.PositionOfTrust);
        c.Person(children).NonEmergency.Agencies.ShouldContain(Agency.Lado);
        c.Person(c.ServiceUser).NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Escalate(Request(Route.NonEmergency, Agency.Lado, children, a, [d]));
    }

    [Fact]
    public void POSITION_OF_TRUST_the_LADO_is_only_for_position_of_trust_allegations()
    {
        var c = new CaseBuilder(15, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Lado, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldBe([RuleIds.PositionOfTrust]);
    }

    [Fact]
    public void MANDATORY_CSA_a_suspected_sexual_offence_against_a_child_makes_a_report_required_and_due()
    {
        var c = new CaseBuilder(14);
        var disclosedAt = c.Now - Duration.FromMinutes(30);
        c.Disclose(C(Sexual));
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.Required);
        route.RuleIds.ShouldContain(RuleIds.MandatoryCsa);
        route.Unmet.ShouldContain(RuleIds.CurrentInfo);
        var report = c.Evaluate().Obligations.Single(o => o.Type == ObligationType.ReportDue);
        report.DueBy.ShouldBe(disclosedAt + Duration.FromHours(24));
        report.RuleId.ShouldBe(RuleIds.MandatoryCsa);
    }

    [Fact]
    public void MANDATORY_CSA_without_the_duty_the_report_is_permitted_not_required()
    {
        var c = new CaseBuilder(14, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        c.Disclose(C(Sexual));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Sexual);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.ReportDue);
    }

    [Theory]
    [InlineData(15, true, false)]
    [InlineData(13, true, false)]
    [InlineData(12, true, true)]
    [InlineData(15, false, true)]
    public void MANDATORY_CSA_a_clinicians_peer_exemption_for_13_to_17_year_olds_lifts_the_duty(int age, bool exempted, bool required)
    {
        var c = new CaseBuilder(age);
        c.Disclose(C(Sexual));
        c.Assess(new PersonAssessment(c.ServiceUser, ThreatToLife.None, [Sexual], Route.None,
            exempted ? new PeerExemption("Consensual, similar age, no coercion or abuse of power") : null));
        c.Evaluate().Obligations.Any(o => o.Type == ObligationType.ReportDue).ShouldBe(required);
        (c.Person().NonEmergency.Status == RouteStatus.Required).ShouldBe(required);
    }

    [Fact]
    public void MANDATORY_CSA_a_report_made_to_police_or_childrens_social_care_discharges_it()
    {
        var c = new CaseBuilder(14);
        var d = c.Disclose(C(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Sexual);
        c.Escalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d]));
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.ReportDue);
    }

    [Fact]
    public void MANDATORY_CSA_a_clinician_may_delay_the_report_by_up_to_seven_days()
    {
        var c = new CaseBuilder(14);
        var disclosedAt = c.Now - Duration.FromMinutes(30);
        c.Disclose(C(Sexual));
        var originalDue = disclosedAt + Duration.FromHours(24);

        var tooLate = c.Step(s => CaseDecider.Decide(s, new DelayRequiredReport(c.ServiceUser, originalDue + Duration.FromDays(7) + Duration.FromMinutes(1), "risk"), c.Context(Clinician)));
        tooLate.Refusal!.RuleIds.ShouldBe([RuleIds.MandatoryCsa]);

        c.Run(s => CaseDecider.Decide(s, new DelayRequiredReport(c.ServiceUser, originalDue + Duration.FromDays(7), "telling now would put the child at risk"), c.Context(Clinician)));
        c.Evaluate().Obligations.Single(o => o.Type == ObligationType.ReportDue).DueBy.ShouldBe(originalDue + Duration.FromDays(7));
    }

    [Fact]
    public void MANDATORY_CSA_no_delay_where_no_report_is_owed()
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(Physical));
        c.Step(s => CaseDecider.Decide(s, new DelayRequiredReport(c.ServiceUser, c.Now + Duration.FromDays(1), "x"), c.Context(Clinician)))
            .Refusal!.RuleIds.ShouldBe([RuleIds.MandatoryCsa]);
    }

    [Fact]
    public void CLINICIAN_DECIDES_the_assessment_must_recommend_the_route()
    {
        var c = new CaseBuilder(14, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.None, Physical);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ClinicianDecides);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.ClinicianDecides);

        var a2 = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.ClinicianDecides);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a2, [d]));
    }

    [Fact]
    public void CLINICIAN_DECIDES_only_a_clinician_records_a_risk_assessment()
    {
        var c = new CaseBuilder();
        var refused = c.Step(s => CaseDecider.Decide(s, new RecordRiskAssessment(Guid.NewGuid(), [new PersonAssessment(c.ServiceUser, ThreatToLife.None, [], Route.None)], "r"), c.Context(Officer)));
        refused.Refusal!.RuleIds.ShouldBe([RuleIds.ClinicianDecides]);
        refused.Events.ShouldBeEmpty();
    }

    [Fact]
    public void CLINICIAN_DECIDES_the_cited_assessment_must_assess_the_person()
    {
        var c = new CaseBuilder(14, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var sibling = c.AddPerson(10);
        var d = c.Disclose(C(Physical, sibling));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, sibling, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.ClinicianDecides);
    }

    [Fact]
    public void MINIMUM_NECESSARY_the_data_shared_is_recorded_exactly()
    {
        var c = new CaseBuilder(14, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d], shared: [])).Refusal!.RuleIds.ShouldBe([RuleIds.MinimumNecessary]);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d], shared: [InformationShared.Name, InformationShared.Name])).Refusal!.RuleIds.ShouldBe([RuleIds.MinimumNecessary]);

        var id = c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d], shared: [InformationShared.Name, InformationShared.DisclosureSummary]));
        c.State.FindEscalation(id)!.Made.InformationShared.ShouldBe([InformationShared.Name, InformationShared.DisclosureSummary]);
    }

    [Fact]
    public void RECORD_NO_ESCALATION_a_decision_not_to_escalate_is_expected_and_recorded_with_reasons()
    {
        var c = new CaseBuilder(22);
        c.Disclose(H(Sexual));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.None);
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.NoEscalationDecisionDue && o.RuleId == RuleIds.RecordNoEscalation);

        c.Run(s => CaseDecider.Decide(s, new RecordNoEscalationDecision(Guid.NewGuid(), "Adult, historical, no children at risk"), c.Context(Clinician)));
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.NoEscalationDecisionDue);
        c.State.NoEscalationDecisions.Single().Reason.ShouldBe("Adult, historical, no children at risk");
    }

    [Fact]
    public void RECORD_NO_ESCALATION_follows_a_risk_assessment()
    {
        var c = new CaseBuilder(22);
        c.Step(s => CaseDecider.Decide(s, new RecordNoEscalationDecision(Guid.NewGuid(), "r"), c.Context(Clinician)))
            .Refusal!.RuleIds.ShouldBe([RuleIds.RecordNoEscalation]);
    }

    // ---- 4. What the service owes the user ----

    [Fact]
    public void TRANSPARENCY_every_escalation_owes_a_notice_due_within_24_hours()
    {
        var (c, escalation) = Escalated();
        var made = c.State.FindEscalation(escalation)!.Made;
        var notice = c.Evaluate().Obligations.Single(o => o.Type == ObligationType.TransparencyNoticeDue);
        notice.DueBy.ShouldBe(made.At + Duration.FromHours(24));
        notice.EscalationId.ShouldBe(escalation);

        c.Run(s => CaseDecider.Decide(s, new SendTransparencyNotice(escalation, "We shared your name with...", "Chat"), c.Context(Officer)));
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.TransparencyNoticeDue);
        c.Step(s => CaseDecider.Decide(s, new SendTransparencyNotice(escalation, "again", "Chat"), c.Context(Officer))).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
    }

    [Fact]
    public void TRANSPARENCY_WITHHELD_only_a_clinician_may_withhold_the_notice()
    {
        var (c, escalation) = Escalated();
        c.Step(s => CaseDecider.Decide(s, new WithholdTransparencyNotice(escalation, WithholdReason.WouldPrejudiceInvestigation, "police asked"), c.Context(Officer)))
            .Refusal!.RuleIds.ShouldBe([RuleIds.TransparencyWithheld]);

        c.Run(s => CaseDecider.Decide(s, new WithholdTransparencyNotice(escalation, WithholdReason.WouldPrejudiceInvestigation, "police asked"), c.Context(Clinician)));
        c.State.FindEscalation(escalation)!.NoticeWithheld!.Reason.ShouldBe(WithholdReason.WouldPrejudiceInvestigation);
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.TransparencyNoticeDue);
    }

    [Fact]
    public void CLOSE_OBLIGATIONS_a_case_cannot_close_while_a_notice_is_owed()
    {
        var (c, escalation) = Escalated();
        c.Step(s => CaseDecider.Decide(s, new CloseCase("done"), c.Context(Officer))).Refusal!.RuleIds.ShouldBe([RuleIds.CloseObligations]);
        c.Run(s => CaseDecider.Decide(s, new SendTransparencyNotice(escalation, "told", "Text"), c.Context(Officer)));
        c.Run(s => CaseDecider.Decide(s, new CloseCase("done"), c.Context(Officer)));
        c.State.Status.ShouldBe(CaseStatus.Closed);
    }

    [Fact]
    public void CLOSE_OBLIGATIONS_a_case_cannot_close_while_a_required_report_is_owed()
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(Sexual));
        c.Step(s => CaseDecider.Decide(s, new CloseCase("done"), c.Context(Officer))).Refusal!.RuleIds.ShouldBe([RuleIds.CloseObligations]);
    }

    [Fact]
    public void AGENCY_FEEDBACK_a_response_is_recorded_and_no_response_never_blocks_closing()
    {
        var (c, escalation) = Escalated();
        c.Run(s => CaseDecider.Decide(s, new SendTransparencyNotice(escalation, "told", "Text"), c.Context(Officer)));
        c.Run(s => CaseDecider.Decide(s, new CloseCase("no response from the agency yet"), c.Context(Officer)));
        c.State.Status.ShouldBe(CaseStatus.Closed);

        var (c2, e2) = Escalated();
        c2.Run(s => CaseDecider.Decide(s, new RecordAgencyResponse(e2, "Social worker allocated"), c2.Context(Officer)));
        c2.State.FindEscalation(e2)!.AgencyResponses.Single().Summary.ShouldBe("Social worker allocated");
        c2.Step(s => CaseDecider.Decide(s, new RecordAgencyResponse(Guid.NewGuid(), "?"), c2.Context(Officer))).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);
    }

    // ---- 5. The legacy policy ----

    [Fact]
    public void LEGACY_LIFE_an_immediate_threat_disclosed_before_the_merger_permits_only_an_emergency()
    {
        var c = new CaseBuilder(15);
        c.DiscloseAt(EffectiveFrom - Duration.FromDays(30), C(RiskToLife), C(Physical));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency, Physical);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Person().Emergency.RuleIds.ShouldContain(RuleIds.LegacyLife);
        c.Person().Emergency.PolicyVersion.ShouldBe(PolicyVersion.Legacy);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
    }

    [Fact]
    public void LEGACY_LIFE_without_an_immediate_threat_legacy_disclosures_permit_nothing()
    {
        var c = new CaseBuilder(15);
        c.DiscloseAt(EffectiveFrom - Duration.FromDays(30), C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        c.Assess(c.ServiceUser, ThreatToLife.NotImmediate, Route.Emergency);
        c.Person().Emergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().Emergency.RuleIds.ShouldContain(RuleIds.LegacyLife);
    }

    [Fact]
    public void LEGACY_POSITION_OF_TRUST_harm_by_a_person_in_a_position_of_trust_permits_a_LADO_or_police_referral()
    {
        var c = new CaseBuilder(16);
        var d = c.DiscloseAt(EffectiveFrom - Duration.FromDays(60), C(PositionOfTrust), C(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, PositionOfTrust);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.Permitted);
        route.RuleIds.ShouldContain(RuleIds.LegacyPositionOfTrust);
        route.Agencies.ShouldBe([Agency.Lado, Agency.Police101], ignoreOrder: true);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal.ShouldNotBeNull();
        c.Escalate(Request(Route.NonEmergency, Agency.Lado, c.ServiceUser, a, [d]));
    }

    [Fact]
    public void LEGACY_POSITION_OF_TRUST_whatever_the_users_age_at_the_disclosure_or_now()
    {
        // A 27-year-old's pre-merger post about abuse by a teacher when they were at school: an adult then and now.
        var c = new CaseBuilder(27);
        var d = c.DiscloseAt(EffectiveFrom - Duration.FromDays(60), H(PositionOfTrust), H(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, PositionOfTrust);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.Permitted);
        route.RuleIds.ShouldContain(RuleIds.LegacyPositionOfTrust);
        route.RuleIds.ShouldNotContain(RuleIds.AdultNoNonEmergency);
        c.Escalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d]));
    }

    [Fact]
    public void LEGACY_NOTHING_ELSE_a_legacy_referral_to_the_wrong_agency_cites_the_legacy_rules_only()
    {
        // A pre-merger disclosure by a 15-year-old about a teacher, sent to children's social care.
        var c = new CaseBuilder(15);
        var d = c.DiscloseAt(EffectiveFrom - Duration.FromDays(60), C(PositionOfTrust));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, PositionOfTrust);
        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal!;
        refusal.RuleIds.ShouldBe([RuleIds.LegacyPositionOfTrust, RuleIds.LegacyNothingElse], ignoreOrder: true);
        refusal.RuleIds.ShouldNotContain(RuleIds.MandatoryCsa);
        refusal.RuleIds.ShouldNotContain(RuleIds.ChildSafeguarding);
    }

    [Fact]
    public void MANDATORY_CSA_is_never_cited_for_a_wrong_agency_when_no_sexual_concern_grounds_the_route()
    {
        var c = new CaseBuilder(15);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.AdultSocialCare, c.ServiceUser, a, [d])).Refusal!;
        refusal.RuleIds.ShouldNotContain(RuleIds.MandatoryCsa);
        var lado = c.TryEscalate(Request(Route.NonEmergency, Agency.Lado, c.ServiceUser, a, [d])).Refusal!;
        lado.RuleIds.ShouldNotContain(RuleIds.MandatoryCsa);
    }

    [Fact]
    public void LEGACY_NOTHING_ELSE_other_concerns_disclosed_before_the_merger_stay_confidential()
    {
        var c = new CaseBuilder(15);
        var d = c.DiscloseAt(EffectiveFrom - Duration.FromDays(1), C(Physical), C(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        var route = c.Person().NonEmergency;
        route.Status.ShouldBe(RouteStatus.NotPermitted);
        route.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
        route.PolicyVersion.ShouldBe(PolicyVersion.Legacy);
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.ReportDue);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
    }

    [Fact]
    public void LEGACY_NOTHING_ELSE_a_later_unified_disclosure_is_judged_under_the_unified_policy()
    {
        var c = new CaseBuilder(15, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var old = c.DiscloseAt(EffectiveFrom - Duration.FromDays(1), C(Physical));
        var recent = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [old])).Refusal!.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
        var id = c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [recent]));
        c.State.FindEscalation(id)!.Made.Decision.PolicyVersion.ShouldBe(PolicyVersion.Unified);
    }

    // ---- 6. Departing from the policy ----

    [Fact]
    public void OVERRIDE_two_different_leads_let_a_refused_escalation_go_ahead_once()
    {
        var c = new CaseBuilder(25);
        var d = c.Disclose(C(Domestic));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Domestic);
        var o = c.RequestOverride(Route.NonEmergency, c.ServiceUser);

        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o)).Refusal!.RuleIds.ShouldContain(RuleIds.Override);
        c.TryApprove(o, Lead1).Refusal.ShouldBeNull();
        c.TryApprove(o, Lead1).Refusal!.Kind.ShouldBe(RefusalKind.Conflict);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o)).Refusal!.RuleIds.ShouldContain(RuleIds.Override);
        c.TryApprove(o, Lead2).Refusal.ShouldBeNull();

        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
        c.Person().NonEmergency.RuleIds[0].ShouldBe(RuleIds.Override);
        var id = c.Escalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o));
        var made = c.State.FindEscalation(id)!.Made;
        made.OverrideId.ShouldBe(o);
        made.Decision.RuleIds.ShouldContain(RuleIds.Override);
        made.Decision.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);

        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o)).Refusal!.RuleIds
            .ShouldBe([RuleIds.NoDuplicateEscalation]);
        var d2 = c.Disclose(C(Domestic));
        var a2 = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Domestic);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a2, [d2], overrideId: o)).Refusal!.RuleIds.ShouldContain(RuleIds.Override);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
    }

    [Fact]
    public void OVERRIDE_does_not_lift_current_info_or_the_clinicians_recommendation()
    {
        var c = new CaseBuilder(25);
        var d = c.Disclose(C(Domestic));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.None, Domestic);
        var o = c.RequestOverride(Route.NonEmergency, c.ServiceUser);
        c.TryApprove(o, Lead1);
        c.TryApprove(o, Lead2);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o)).Refusal!.RuleIds.ShouldContain(RuleIds.ClinicianDecides);
    }

    [Fact]
    public void OVERRIDE_is_for_the_route_and_person_it_was_approved_for()
    {
        var c = new CaseBuilder(25);
        var d = c.Disclose(C(Domestic));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Domestic);
        var o = c.RequestOverride(Route.Emergency, c.ServiceUser);
        c.TryApprove(o, Lead1);
        c.TryApprove(o, Lead2);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d], overrideId: o)).Refusal!.RuleIds.ShouldContain(RuleIds.Override);
    }

    // ---- second sides, one test each ----

    [Fact]
    public void AGE_CHILD_an_18_year_old_gets_no_child_safeguarding_route()
    {
        var c = new CaseBuilder(18);
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person().NonEmergency.RuleIds.ShouldNotContain(RuleIds.ChildSafeguarding);
    }

    [Fact]
    public void ADULT_AT_RISK_is_derived_and_lapses_when_an_answer_changes_to_no()
    {
        var c = new CaseBuilder(30);
        c.AdultAtRisk(c.ServiceUser);
        c.Answers(c.ServiceUser, true, true, false);
        c.Person().Classification.ShouldBe(PersonClassification.AdultNotAtRisk);
    }

    [Fact]
    public void ADULT_NOT_AT_RISK_is_cited_when_a_non_emergency_is_refused()
    {
        var c = new CaseBuilder(40);
        c.Disclose(C(Financial));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Financial);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.AdultNotAtRisk);
    }

    [Fact]
    public void POLICY_VERSION_old_posts_are_never_swept_for_new_escalations()
    {
        var c = new CaseBuilder(15);
        var old = c.DiscloseAt(EffectiveFrom - Duration.FromDays(3), C(Neglect));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Neglect);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [old])).Refusal!.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
    }

    [Fact]
    public void MINIMUM_NECESSARY_an_escalation_sharing_nothing_recorded_is_refused()
    {
        var c = new CaseBuilder(19);
        var d = c.Disclose(C(RiskToLife));
        c.SafetyPlan(SafetyPlanOutcome.NotPossible);
        var a = c.Assess(c.ServiceUser, ThreatToLife.Immediate, Route.Emergency);
        var refused = c.TryEscalate(Request(Route.Emergency, Agency.Ambulance999, c.ServiceUser, a, [d], shared: []));
        refused.Refusal!.RuleIds.ShouldBe([RuleIds.MinimumNecessary]);
        refused.Events.ShouldBeEmpty();
    }

    [Fact]
    public void TRANSPARENCY_no_escalation_no_notice_owed()
    {
        var c = new CaseBuilder(16);
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.TransparencyNoticeDue);
        c.Step(s => CaseDecider.Decide(s, new SendTransparencyNotice(Guid.NewGuid(), "?", "Chat"), c.Context(Officer))).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);
    }

    [Fact]
    public void TRANSPARENCY_WITHHELD_a_notice_already_sent_cannot_be_withheld()
    {
        var (c, escalation) = Escalated();
        c.Run(s => CaseDecider.Decide(s, new SendTransparencyNotice(escalation, "told", "Text"), c.Context(Officer)));
        c.Step(s => CaseDecider.Decide(s, new WithholdTransparencyNotice(escalation, WithholdReason.NoMeansOfContact, "x"), c.Context(Clinician)))
            .Refusal!.RuleIds.ShouldBe([RuleIds.TransparencyWithheld]);
    }

    [Fact]
    public void AGENCY_FEEDBACK_a_response_needs_an_escalation_of_this_case()
    {
        var (c, _) = Escalated();
        c.Step(s => CaseDecider.Decide(s, new RecordAgencyResponse(Guid.NewGuid(), "?"), c.Context(Officer))).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);
    }

    private static (CaseBuilder Case, Guid Escalation) Escalated()
    {
        var c = new CaseBuilder(16, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        return (c, c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])));
    }
}
