using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Domain.Tests.CaseBuilder;

namespace SafeguardingCases.Domain.Tests;

/// <summary>POLICY.md section 9: keeping and destroying records (PRIVACY-AT-REST, RETENTION-SCHEDULE, LEGAL-HOLD, DESTRUCTION-TWO-LEADS).</summary>
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

    /// <summary>A closed adult's case whose review (six years after closure) is due now.</summary>
    private static CaseBuilder DueForReview()
    {
        var c = Closed(new CaseBuilder(30));
        c.AtTime(Rules.RetentionSchedule(c.State, c.Options.Retention)!.ReviewAt + Duration.FromDays(1));
        return c;
    }

    [Fact]
    public void DESTRUCTION_TWO_LEADS_a_lead_asks_a_different_lead_approves_and_the_case_keeps_no_personal_data()
    {
        var c = DueForReview();
        var decision = Guid.NewGuid();
        c.Run(s => CaseDecider.Decide(s, new RequestDestruction(decision, "Review due; nothing to keep it for"), c.Context(Lead1)));
        c.State.PendingDestruction!.By.ShouldBe(Lead1);
        CaseDecider.Decide(c.State, new RequestDestruction(Guid.NewGuid(), "again"), c.Context(Lead2)).Refusal!.RuleIds.ShouldBe([RuleIds.DestructionTwoLeads]);

        var approved = CaseDecider.Decide(c.State, new ApproveDestruction(decision), c.Context(Lead2));
        var destroyed = approved.Events.ShouldHaveSingleItem().ShouldBeOfType<CaseDataDestroyed>();
        destroyed.RequestedBy.ShouldBe(Lead1);
        destroyed.By.ShouldBe(Lead2);
        destroyed.RuleIds.ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);
        c.Run(_ => approved);
        c.State.Summary.ShouldBe(PersonalAttribute.Destroyed);
        c.State.Persons[0].Reference.ShouldBe(PersonalAttribute.Destroyed);
        c.State.Status.ShouldBe(CaseStatus.Closed, "what happened stays");
        Rules.RetentionSchedule(c.State, c.Options.Retention).ShouldBeNull("a destroyed record is not reviewed again");
        Rules.NotDestroyed(c.State)!.RuleIds.ShouldBe([RuleIds.DestructionTwoLeads]);
    }

    [Fact]
    public void DESTRUCTION_TWO_LEADS_is_refused_under_a_hold_before_the_review_while_open_to_the_requesting_lead_and_to_non_leads()
    {
        var early = Closed(new CaseBuilder(30));
        var notDue = CaseDecider.Decide(early.State, new RequestDestruction(Guid.NewGuid(), "r"), early.Context(Lead1)).Refusal!;
        notDue.Kind.ShouldBe(RefusalKind.Conflict);
        notDue.RuleIds.ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);
        var open = new CaseBuilder(30);
        CaseDecider.Decide(open.State, new RequestDestruction(Guid.NewGuid(), "r"), open.Context(Lead1)).Refusal!.RuleIds
            .ShouldBe([RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads]);

        var c = DueForReview();
        CaseDecider.Decide(c.State, new RequestDestruction(Guid.NewGuid(), "r"), c.Context(Officer)).Refusal!.Kind.ShouldBe(RefusalKind.Policy);
        var decision = Guid.NewGuid();
        c.Run(s => CaseDecider.Decide(s, new RequestDestruction(decision, "Review due"), c.Context(Lead1)));
        var self = CaseDecider.Decide(c.State, new ApproveDestruction(decision), c.Context(Lead1)).Refusal!;
        self.Kind.ShouldBe(RefusalKind.Conflict);
        self.RuleIds.ShouldBe([RuleIds.DestructionTwoLeads]);
        CaseDecider.Decide(c.State, new ApproveDestruction(Guid.NewGuid()), c.Context(Lead2)).Refusal!.Kind.ShouldBe(RefusalKind.NotFound);

        c.Run(s => CaseDecider.Decide(s, new PlaceLegalHold("Inquiry"), c.Context(Lead2)));
        CaseDecider.Decide(c.State, new ApproveDestruction(decision), c.Context(Lead2)).Refusal!.RuleIds
            .ShouldBe([RuleIds.LegalHold, RuleIds.DestructionTwoLeads]);
        c.Run(s => CaseDecider.Decide(s, new ReleaseLegalHold(), c.Context(Lead2)));
        c.Run(s => CaseDecider.Decide(s, new ReopenCase("New disclosure"), c.Context(Officer)));
        c.State.PendingDestruction.ShouldBeNull("reopening ends the request");
    }

    [Fact]
    public void PRIVACY_AT_REST_every_text_an_event_records_about_a_case_is_marked_personal()
    {
        // Texts that are not personal: ids, and the rule IDs an escalation's decision cites. Everything else typed as text
        // is free text or identifies someone, so must be stored sealed.
        // An export's root hash is a digest of what was sent, not the text itself.
        string[] notPersonal = ["PersonId", "Subject", "RuleIds", "AllowedSubjects", "RootHash"];
        var unmarked = new List<string>();
        foreach (var type in typeof(ICaseEvent).Assembly.GetTypes().Where(t => typeof(ICaseEvent).IsAssignableFrom(t) && !t.IsInterface))
            CollectUnmarkedTexts(type, type.Name, notPersonal, unmarked, []);
        unmarked.ShouldBeEmpty();
    }

    [Fact]
    public void PRIVACY_AT_REST_a_destroyed_case_holds_no_personal_value_anywhere_in_its_state()
    {
        var a = Lead1;
        var t = Start;
        var assessment = Guid.NewGuid();
        var escalation = Guid.NewGuid();
        var over = Guid.NewGuid();
        var (sar, flag) = (Guid.NewGuid(), Guid.NewGuid());
        ICaseEvent[] events =
        [
            new CaseOpened(Guid.NewGuid(), Channel.Chat, "chat-42", "user-zed", new Age(null, null, new LocalDate(2010, 1, 2)), "Summary", a, t),
            new PersonAdded("person-2", "Sibling ref", "Younger brother", Age.Born(new LocalDate(2014, 3, 4)), a, t),
            new DisclosureRecorded(Guid.NewGuid(), t, Channel.Chat, "msg-1", "Dad hits me", [C(ConcernCategory.Physical)], a, t),
            new RiskAssessmentRecorded(assessment, [new PersonAssessment("service-user", ThreatToLife.None, [], Route.NonEmergency, new PeerExemption("Peers"))], "Rationale", a, t),
            new SafetyPlanAttemptRecorded(Guid.NewGuid(), SafetyPlanOutcome.Agreed, "Agreed a plan", a, t),
            new EscalationMade(escalation, Route.NonEmergency, Agency.ChildrensSocialCare, "service-user", assessment, [], [InformationShared.Name], over,
                new EscalationDecision(PolicyVersion.Unified, PersonClassification.Child, [RuleIds.ChildSafeguarding]), a, t),
            new TransparencyNoticeSent(escalation, "We told children's services", "chat", a, t),
            new AgencyResponseRecorded(escalation, "Visit booked", a, t),
            new NoEscalationDecisionRecorded(Guid.NewGuid(), assessment, "Not needed", a, t),
            new OverrideRequested(over, Route.NonEmergency, "service-user", "Justified", a, t),
            new OverrideApproved(over, "Agreed", Lead2, t),
            new RequiredReportDelayed("service-user", t, "Police asked", a, t),
            new CaseRestricted(["lead-2"], "Staff member's relative", a, t),
            new BreakGlassAccessGranted(Guid.NewGuid(), "Emergency at night", t, Officer, t),
            new CaseAllocated("officer-1", "Officer One", "one@example.org", a, t),
            new CaseClosed("Done", a, t),
            new DestructionRequested(Guid.NewGuid(), "Review due", a, t),
            new SubjectAccessDrafted(sar, 5, [new SubjectAccessFlag(flag, 3, ExemptionReason.ChildAbuse)], a, t),
            new SubjectAccessFlagDecided(sar, flag, FlagDecision.Withhold, "Would prejudice the police's enquiries", Lead2, t),
        ];
        var before = CaseState.Replay(events)!;
        var found = new List<(string Path, object? Value)>();
        CollectPersonalValues(before, "state", found);
        found.Count(f => f.Value is string text && text.Length > 0 && !PersonalAttribute.IsDestroyed(text)).ShouldBeGreaterThan(20);

        var after = CaseState.Evolve(before, new CaseDataDestroyed(Guid.NewGuid(), a, t, [RuleIds.DestructionTwoLeads], Lead2, t));
        found.Clear();
        CollectPersonalValues(after, "state", found);
        found.Where(f => f.Value is not null && !PersonalAttribute.IsDestroyed(f.Value as string)).Select(f => f.Path).ShouldBeEmpty();
    }

    private static void CollectUnmarkedTexts(Type type, string path, string[] notPersonal, List<string> unmarked, HashSet<Type> seen)
    {
        if (!seen.Add(type)) return;
        foreach (var property in type.GetProperties())
        {
            if (property.IsDefined(typeof(PersonalAttribute), true) || property.DeclaringType == typeof(Actor)) continue;
            var propertyType = property.PropertyType;
            var element = propertyType.IsGenericType ? propertyType.GetGenericArguments()[0] : propertyType;
            if (element == typeof(string) && !notPersonal.Contains(property.Name)) unmarked.Add($"{path}.{property.Name}");
            else if (element.Namespace?.StartsWith("SafeguardingCases.Domain", StringComparison.Ordinal) == true && element.IsClass && element != typeof(Actor))
                CollectUnmarkedTexts(element, $"{path}.{property.Name}", notPersonal, unmarked, seen);
        }
    }

    /// <summary>Every value under a <see cref="PersonalAttribute"/> property reachable from <paramref name="value"/>.</summary>
    private static void CollectPersonalValues(object? value, string path, List<(string Path, object? Value)> found)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        if (value is System.Collections.IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) CollectPersonalValues(item, $"{path}[{i++}]", found);
            return;
        }
        if (value.GetType().Namespace?.StartsWith("SafeguardingCases.Domain", StringComparison.Ordinal) != true) return;
        foreach (var property in value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0))
        {
            var child = property.GetValue(value);
            if (property.IsDefined(typeof(PersonalAttribute), true)) found.Add(($"{path}.{property.Name}", child));
            else CollectPersonalValues(child, $"{path}.{property.Name}", found);
        }
    }
}
