using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Cases.ConcernCategory;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>The rules as POLICY.md now states them: the six departures found by the policy audit, and the clarifications.</summary>
public sealed partial class PolicyRuleTests
{
    // ---- MANDATORY-CSA: discharged only by a report relying on the disclosure that raised it ----

    [Fact]
    public void MANDATORY_CSA_is_not_discharged_by_a_referral_of_another_concern_relying_on_another_disclosure()
    {
        var c = new CaseBuilder(14);
        var physical = c.Disclose(C(Physical));
        var sexual = c.Disclose(C(Sexual));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical, Sexual);

        c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [physical]));

        var report = c.Evaluate().Obligations.Single(o => o.Type == ObligationType.ReportDue);
        report.DisclosureId.ShouldBe(sexual);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Required);
        c.TryClose().Refusal!.RuleIds.ShouldBe([RuleIds.CloseObligations]);
    }

    [Fact]
    public void MANDATORY_CSA_is_discharged_by_a_report_to_police_or_childrens_social_care_relying_on_that_disclosure()
    {
        var c = new CaseBuilder(14);
        var sexual = c.Disclose(C(Sexual), C(PositionOfTrust));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Sexual, PositionOfTrust);

        c.Escalate(Request(Route.NonEmergency, Agency.Lado, c.ServiceUser, a, [sexual]));
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.ReportDue, "a LADO referral does not discharge it");

        c.Escalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [sexual]));
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.ReportDue);
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Permitted);
    }

    [Fact]
    public void MANDATORY_CSA_an_exemption_recorded_before_a_new_disclosure_does_not_cover_it()
    {
        var c = new CaseBuilder(15);
        c.Disclose(C(Sexual));
        c.Assess(new PersonAssessment(c.ServiceUser, ThreatToLife.None, [Sexual], Route.None, new PeerExemption("Consensual, similar age")));
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.ReportDue);

        var later = c.Disclose(C(Sexual));

        c.Evaluate().Obligations.Single(o => o.Type == ObligationType.ReportDue).DisclosureId.ShouldBe(later);
    }

    // ---- CURRENT-INFO: the assessment postdates every disclosure relied on ----

    [Fact]
    public void CURRENT_INFO_refuses_an_escalation_relying_on_any_disclosure_recorded_after_the_assessment()
    {
        var c = new CaseBuilder(15);
        var sibling = c.AddPerson(12);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        var aboutSibling = c.Disclose(C(Neglect, sibling));

        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d, aboutSibling])).Refusal!;

        refusal.RuleIds.ShouldContain(RuleIds.CurrentInfo);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d])).Refusal.ShouldBeNull();
    }

    [Fact]
    public void CURRENT_INFO_a_merely_permitted_route_owes_no_new_assessment_when_its_assessment_expires()
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(Physical));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.After(Duration.FromHours(30));

        c.Person().NonEmergency.Status.ShouldNotBe(RouteStatus.Required);
        c.Evaluate().Obligations.ShouldNotContain(o => o.Type == ObligationType.RiskAssessmentNeeded, "a Permitted route creates no obligation by itself");
        c.Disclose(C(Physical));
        c.Evaluate().Obligations.ShouldContain(o => o.Type == ObligationType.RiskAssessmentNeeded && o.RuleId == RuleIds.CurrentInfo,
            "a newer disclosure does");
    }

    [Fact]
    public void CURRENT_INFO_an_expired_assessment_behind_a_required_report_creates_RiskAssessmentNeeded()
    {
        var c = new CaseBuilder(14);
        c.Disclose(C(Sexual));
        var assessed = c.Now;
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Sexual);

        var needed = c.Evaluate().Obligations.Single(o => o.Type == ObligationType.RiskAssessmentNeeded);

        needed.DueBy.ShouldBe(assessed + c.Options.RiskAssessmentValidFor);
        c.After(Duration.FromHours(30));
        c.Person().NonEmergency.Status.ShouldBe(RouteStatus.Required);
        c.Person().NonEmergency.Unmet.ShouldContain(RuleIds.CurrentInfo);
    }

    // ---- POLICY-VERSION and section 5 ----

    [Fact]
    public void POLICY_VERSION_a_pre_merger_disclosure_cannot_ride_along_with_a_new_one()
    {
        var c = new CaseBuilder(15);
        var old = c.DiscloseAt(Instant.FromUtc(2024, 6, 1, 0, 0), C(Neglect));
        var recent = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical, Neglect);

        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [old, recent])).Refusal!;

        refusal.RuleIds.ShouldContain(RuleIds.PolicyVersion);
        refusal.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [recent])).Refusal.ShouldBeNull();
    }

    [Fact]
    public void LEGACY_POSITION_OF_TRUST_does_not_share_harm_to_other_people()
    {
        var c = new CaseBuilder(30);
        var children = c.AddPerson(null, AgeBand.Under13, "children at the club where he coaches");
        var d = c.DiscloseAt(Instant.FromUtc(2024, 6, 1, 0, 0), C(PositionOfTrust, children));
        var a = c.Assess(children, ThreatToLife.None, Route.NonEmergency, PositionOfTrust);

        c.Person(children).NonEmergency.Status.ShouldBe(RouteStatus.NotPermitted);
        c.Person(children).NonEmergency.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
        c.TryEscalate(Request(Route.NonEmergency, Agency.Lado, children, a, [d])).Refusal!.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
    }

    [Fact]
    public void LEGACY_NOTHING_ELSE_is_cited_when_a_legacy_adults_escalation_is_refused()
    {
        var c = new CaseBuilder(30);
        var d = c.DiscloseAt(Instant.FromUtc(2024, 6, 1, 0, 0), C(Domestic));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Domestic);

        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d])).Refusal!;

        refusal.RuleIds.ShouldContain(RuleIds.AdultNoNonEmergency);
        refusal.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
        c.Person().NonEmergency.RuleIds.ShouldContain(RuleIds.LegacyNothingElse);
    }

    // ---- AGE-CHILD: each disclosure judged with the age at its time ----

    [Fact]
    public void AGE_CHILD_a_date_of_birth_judges_each_disclosure_with_the_age_at_its_time()
    {
        var c = new CaseBuilder(ageYears: null);
        var asChild = c.DiscloseAt(Instant.FromUtc(2025, 12, 1, 12, 0), C(Physical));
        var asAdult = c.DiscloseAt(Instant.FromUtc(2026, 1, 5, 12, 0), C(Physical));
        c.Born(c.ServiceUser, new LocalDate(2007, 12, 20));

        var persons = c.Evaluate().Disclosures.ToDictionary(d => d.DisclosureId, d => d.Persons.Single().Classification);
        persons[asChild].ShouldBe(PersonClassification.Child);
        persons[asAdult].ShouldBe(PersonClassification.AdultNotAtRisk);
        c.Person().Classification.ShouldBe(PersonClassification.AdultNotAtRisk);

        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [asChild])).Refusal.ShouldBeNull();
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [asAdult])).Refusal!.RuleIds
            .ShouldContain(RuleIds.AdultNoNonEmergency);
    }

    [Fact]
    public void AGE_CHILD_recording_a_date_of_birth_later_re_judges_earlier_disclosures()
    {
        var c = new CaseBuilder(ageYears: 19);
        var d = c.DiscloseAt(Instant.FromUtc(2025, 11, 1, 0, 0), C(Physical));
        c.Evaluate().Disclosures.Single().Persons.Single().Classification.ShouldBe(PersonClassification.AdultNotAtRisk);

        c.Born(c.ServiceUser, new LocalDate(2008, 3, 1));

        c.Evaluate().Disclosures.Single(x => x.DisclosureId == d).Persons.Single().Classification.ShouldBe(PersonClassification.Child);
    }

    // ---- RECORD-NO-ESCALATION, CLOSE-OBLIGATIONS, AGENCY-FEEDBACK ----

    [Fact]
    public void CLOSE_OBLIGATIONS_an_owed_decision_not_to_escalate_blocks_closing()
    {
        var c = new CaseBuilder(22);
        c.Disclose(H(Sexual));
        c.Assess(c.ServiceUser, ThreatToLife.None, Route.None);

        c.TryClose().Refusal!.RuleIds.ShouldBe([RuleIds.CloseObligations]);
        c.Run(s => CaseDecider.Decide(s, new RecordNoEscalationDecision(Guid.NewGuid(), "Adult, historical, no children at risk"), c.Context(Clinician)));
        c.TryClose().Refusal.ShouldBeNull();
    }

    [Fact]
    public void AGENCY_FEEDBACK_is_recorded_on_a_closed_case_without_reopening_it()
    {
        var c = new CaseBuilder(16);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        var e = c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d]));
        c.Run(s => CaseDecider.Decide(s, new SendTransparencyNotice(e, "We told children's social care", "Chat"), c.Context(Officer)));
        c.TryClose().Refusal.ShouldBeNull();

        c.Run(s => CaseDecider.Decide(s, new RecordAgencyResponse(e, "A social worker visited"), c.Context(Officer)));

        c.State.Status.ShouldBe(CaseStatus.Closed);
        c.State.FindEscalation(e)!.AgencyResponses.Length.ShouldBe(1);
    }

    // ---- NO-DUPLICATE-ESCALATION ----

    [Fact]
    public void NO_DUPLICATE_ESCALATION_the_same_escalation_twice_is_refused_naming_the_first()
    {
        var c = new CaseBuilder(16);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        var first = c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d]));

        var refusal = c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d], [InformationShared.Name])).Refusal!;

        refusal.Kind.ShouldBe(RefusalKind.Conflict);
        refusal.RuleIds.ShouldBe([RuleIds.NoDuplicateEscalation]);
        refusal.Detail.ShouldContain(first.ToString());
    }

    [Fact]
    public void NO_DUPLICATE_ESCALATION_another_agency_or_a_new_disclosure_is_a_new_escalation()
    {
        var c = new CaseBuilder(16);
        var d = c.Disclose(C(Physical));
        var a = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.Escalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a, [d]));

        c.TryEscalate(Request(Route.NonEmergency, Agency.Police101, c.ServiceUser, a, [d])).Refusal.ShouldBeNull();
        var d2 = c.Disclose(C(Physical));
        var a2 = c.Assess(c.ServiceUser, ThreatToLife.None, Route.NonEmergency, Physical);
        c.TryEscalate(Request(Route.NonEmergency, Agency.ChildrensSocialCare, c.ServiceUser, a2, [d2])).Refusal.ShouldBeNull();
    }
}
