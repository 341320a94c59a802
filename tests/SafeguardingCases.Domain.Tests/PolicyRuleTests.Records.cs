using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>POLICY.md section 9: keeping records (RETENTION-SCHEDULE, LEGAL-HOLD).</summary>
public sealed partial class PolicyRuleTests
{
    private static Instant Plus(Instant at, int years) => at.InUtc().LocalDateTime.PlusYears(years).InUtc().ToInstant();

    private static CaseBuilder Closed(CaseBuilder c)
    {
        c.TryClose().Refusal.ShouldBeNull();
        return c;
    }

    [Fact]
    public void RETENTION_SCHEDULE_an_open_case_has_no_review_and_a_closed_childs_case_is_reviewed_25_years_after_the_youngest_childs_birth()
    {
        var c = new CaseBuilder(16);
        Rules.RetentionSchedule(c.State, c.Options.Retention).ShouldBeNull();
        c.Born(c.ServiceUser, new LocalDate(2010, 5, 1));
        var sibling = c.AddPerson(9);
        c.Born(sibling, new LocalDate(2017, 3, 2));
        Closed(c);
        var review = Rules.RetentionSchedule(c.State, c.Options.Retention)!;
        review.Schedule.ShouldBe("ChildSafeguarding");
        review.ReviewAt.ShouldBe(Instant.FromUtc(2042, 3, 2, 0, 0), "the youngest child's date of birth plus 25 years");
    }

    [Fact]
    public void RETENTION_SCHEDULE_a_childs_case_without_a_date_of_birth_counts_from_closure_and_sexual_abuse_keeps_75_years()
    {
        var c = Closed(new CaseBuilder(15));
        Rules.RetentionSchedule(c.State, c.Options.Retention)!.ReviewAt.ShouldBe(Plus(c.State.ClosedAt!.Value, 25));

        // (An organisation not under the mandatory reporting duty, so the case closes with no report owed.)
        var abuse = new CaseBuilder(15, options: new PolicyOptions { UnifiedPolicyEffectiveFrom = EffectiveFrom, MandatoryReportingDuty = false });
        abuse.Disclose(C(ConcernCategory.Sexual, status: ConcernStatus.Historical));
        Closed(abuse);
        var review = Rules.RetentionSchedule(abuse.State, abuse.Options.Retention)!;
        review.Schedule.ShouldBe("SexualAbuse");
        review.ReviewAt.ShouldBe(Plus(abuse.State.ClosedAt!.Value, 75));
    }

    [Fact]
    public void RETENTION_SCHEDULE_an_adults_case_is_reviewed_six_years_after_closure_and_a_review_before_it_is_due_is_refused()
    {
        var c = Closed(new CaseBuilder(30));
        var review = Rules.RetentionSchedule(c.State, c.Options.Retention)!;
        review.Schedule.ShouldBe("Other");
        review.ReviewAt.ShouldBe(Plus(c.State.ClosedAt!.Value, 6));

        var early = CaseDecider.Decide(c.State, new KeepRecord(Guid.NewGuid(), Plus(c.Now, 10), "Litigation expected"), c.Context(Lead1)).Refusal!;
        early.Kind.ShouldBe(RefusalKind.Conflict);
        early.RuleIds.ShouldBe([RuleIds.RetentionSchedule]);

        c.AtTime(review.ReviewAt + Duration.FromDays(1));
        c.Run(s => CaseDecider.Decide(s, new KeepRecord(Guid.NewGuid(), Plus(c.Now, 2), "Complaint still open"), c.Context(Lead1)));
        Rules.RetentionSchedule(c.State, c.Options.Retention)!.ShouldBe(new RetentionReview(Plus(c.Now - Duration.FromMinutes(1), 2), "KeptUntil"));
        CaseDecider.Decide(c.State, new KeepRecord(Guid.NewGuid(), Plus(c.Now, 3), "again"), c.Context(Lead1)).Refusal!.RuleIds.ShouldBe([RuleIds.RetentionSchedule]);
    }

    [Fact]
    public void RETENTION_SCHEDULE_an_open_case_is_not_reviewed_and_only_a_lead_decides()
    {
        var c = new CaseBuilder(30);
        CaseDecider.Decide(c.State, new KeepRecord(Guid.NewGuid(), Plus(c.Now, 1), "r"), c.Context(Lead1)).Refusal!.RuleIds.ShouldBe([RuleIds.RetentionSchedule]);
        Closed(c).AtTime(Plus(c.Now, 7));
        CaseDecider.Decide(c.State, new KeepRecord(Guid.NewGuid(), Plus(c.Now, 1), "r"), c.Context(Officer)).Refusal!.Kind.ShouldBe(RefusalKind.Policy);
        CaseDecider.Decide(c.State, new KeepRecord(Guid.NewGuid(), c.Now - Duration.FromDays(1), "r"), c.Context(Lead1)).Refusal!.Kind.ShouldBe(RefusalKind.Policy);
    }

    [Fact]
    public void LEGAL_HOLD_a_lead_places_and_releases_a_hold_one_at_a_time()
    {
        var c = new CaseBuilder(16);
        c.Run(s => CaseDecider.Decide(s, new PlaceLegalHold("Police investigation"), c.Context(Lead1)));
        c.State.LegalHold!.Reason.ShouldBe("Police investigation");
        CaseDecider.Decide(c.State, new PlaceLegalHold("again"), c.Context(Lead2)).Refusal!.RuleIds.ShouldBe([RuleIds.LegalHold]);
        c.Run(s => CaseDecider.Decide(s, new ReleaseLegalHold(), c.Context(Lead2)));
        c.State.LegalHold.ShouldBeNull();
        CaseDecider.Decide(c.State, new ReleaseLegalHold(), c.Context(Lead2)).Refusal!.RuleIds.ShouldBe([RuleIds.LegalHold]);
    }

    [Fact]
    public void LEGAL_HOLD_only_a_lead_places_or_releases_it()
    {
        var c = new CaseBuilder(16);
        var refused = CaseDecider.Decide(c.State, new PlaceLegalHold("r"), c.Context(Officer)).Refusal!;
        refused.Kind.ShouldBe(RefusalKind.Policy);
        refused.RuleIds.ShouldBe([RuleIds.LegalHold]);
        c.Run(s => CaseDecider.Decide(s, new PlaceLegalHold("Court order"), c.Context(Lead1)));
        CaseDecider.Decide(c.State, new ReleaseLegalHold(), c.Context(Clinician)).Refusal!.RuleIds.ShouldBe([RuleIds.LegalHold]);
    }
}
