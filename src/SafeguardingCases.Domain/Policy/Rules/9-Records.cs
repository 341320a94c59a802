using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>When a closed case is reviewed, and under which schedule (RETENTION-SCHEDULE).</summary>
public sealed record RetentionReview(Instant ReviewAt, string Schedule);

/// <summary>POLICY.md section 9: keeping and destroying records.</summary>
public static partial class Rules
{
    /// <summary>
    /// RETENTION-SCHEDULE: a closed case's review date. Every schedule its facts call for is worked out and the latest
    /// wins (a record is never reviewed earlier than any of them says): child sexual abuse (a sexual concern about a
    /// child) from closure; child safeguarding (any child) from the youngest child's date of birth, or from closure when
    /// no child's date of birth is known; adults at risk from closure; anything else from closure. A review that kept
    /// the record moves the date to its "keep until" when that is later. Null while the case is open, and once destroyed.
    /// </summary>
    public static RetentionReview? RetentionSchedule(CaseState state, RetentionSchedule schedule)
    {
        if (state.Status != CaseStatus.Closed || state.ClosedAt is not { } closedAt || state.DataDestroyed is not null) return null;
        var closed = closedAt.InUtc().LocalDateTime;
        Instant After(Period period) => closed.Plus(period).InUtc().ToInstant();

        var children = state.Persons.Where(p => Classify(p, closedAt).Classification is PersonClassification.Child or PersonClassification.UnknownTreatedAsChild).ToList();
        var candidates = new List<RetentionReview> { new(After(schedule.Other), nameof(schedule.Other)) };
        if (state.Persons.Any(p => Classify(p, closedAt).Classification == PersonClassification.AdultAtRisk))
            candidates.Add(new(After(schedule.AdultAtRisk), nameof(schedule.AdultAtRisk)));
        if (children.Count > 0)
        {
            var youngest = children.Select(c => c.Age.DateOfBirth).OfType<LocalDate>().DefaultIfEmpty().Max();
            candidates.Add(new(youngest == default ? After(schedule.ChildSafeguarding)
                : youngest.Plus(schedule.ChildSafeguarding).AtStartOfDayInZone(DateTimeZone.Utc).ToInstant(), nameof(schedule.ChildSafeguarding)));
            var childIds = children.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            if (state.Disclosures.SelectMany(d => d.Concerns).Any(c => c.Category == ConcernCategory.Sexual && childIds.Contains(c.PersonId)))
                candidates.Add(new(After(schedule.SexualAbuse), nameof(schedule.SexualAbuse)));
        }
        var review = candidates.MaxBy(c => c.ReviewAt)!;
        return state.KeptUntil is { } kept && kept > review.ReviewAt ? new RetentionReview(kept, "KeptUntil") : review;
    }

    /// <summary>
    /// RETENTION-SCHEDULE: a review's decision is taken once the case is closed and its review is due; keeping it
    /// moves the next review to a later instant.
    /// </summary>
    public static Refusal? RetentionReviewDue(CaseState state, RetentionSchedule schedule, Instant now, Instant? keepUntil = null)
    {
        if (RetentionSchedule(state, schedule) is not { } review)
            return Refusal.Conflict("A case's retention is reviewed once it is closed.", RuleIds.RetentionSchedule);
        if (review.ReviewAt > now)
            return Refusal.Conflict($"This case's retention review is not due until {review.ReviewAt:yyyy-MM-dd} ({review.Schedule}).", RuleIds.RetentionSchedule);
        return keepUntil is { } until && until <= now
            ? Refusal.Policy("Keeping a record needs a later review", [RuleIds.RetentionSchedule], ["keepUntil must be in the future."])
            : null;
    }

    /// <summary>LEGAL-HOLD: only a lead places or releases a hold; one at a time.</summary>
    public static Refusal? LegalHold(CaseState state, Actor actor, bool placing)
    {
        if (!actor.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead places or releases a legal hold", [RuleIds.LegalHold], ["A safeguarding lead decides legal holds."]);
        if (placing && state.LegalHold is not null) return Refusal.Conflict("A legal hold already stands on this case.", RuleIds.LegalHold);
        return !placing && state.LegalHold is null ? Refusal.Conflict("No legal hold stands on this case.", RuleIds.LegalHold) : null;
    }

    /// <summary>
    /// DESTRUCTION-TWO-LEADS: a lead asks for a record to be destroyed, once its review is due, the case is closed and
    /// no legal hold stands; one request at a time.
    /// </summary>
    public static Refusal? DestructionRequest(CaseState state, Actor actor, RetentionSchedule schedule, Instant now)
    {
        if (!actor.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead asks for a record to be destroyed", [RuleIds.DestructionTwoLeads], ["A safeguarding lead decides retention."]);
        if (state.PendingDestruction is not null)
            return Refusal.Conflict("A request to destroy this record already awaits a second lead's approval.", RuleIds.DestructionTwoLeads);
        return DestructionAllowed(state, schedule, now);
    }

    /// <summary>
    /// DESTRUCTION-TWO-LEADS: a different lead approves the pending request, and only while it could still be made
    /// (review due, case closed, no legal hold).
    /// </summary>
    public static Refusal? DestructionTwoLeads(CaseState state, Actor approver, Guid decisionId, RetentionSchedule schedule, Instant now)
    {
        if (!approver.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead approves destroying a record", [RuleIds.DestructionTwoLeads], ["A second safeguarding lead approves."]);
        if (state.PendingDestruction is not { } request || request.DecisionId != decisionId)
            return Refusal.NotFound($"No request to destroy this record with id '{decisionId}' awaits approval.");
        if (string.Equals(request.By.Subject, approver.Subject, StringComparison.Ordinal))
            return Refusal.Conflict("The lead who asked for this record to be destroyed cannot approve it; a different lead does.", RuleIds.DestructionTwoLeads);
        return DestructionAllowed(state, schedule, now);
    }

    /// <summary>
    /// DESTRUCTION-TWO-LEADS: nothing more is recorded on a case whose personal data was destroyed, except that its
    /// skeleton was exported (what remains stays accountable: every export is recorded).
    /// </summary>
    public static Refusal? NotDestroyed(CaseState state, IReadOnlyList<ICaseEvent>? recording = null) =>
        state.DataDestroyed is null || recording is { Count: > 0 } && recording.All(e => e is ChronologyExported)
            ? null
            : Refusal.Conflict("This case's personal data was destroyed; nothing more is recorded on it.", RuleIds.DestructionTwoLeads);

    /// <summary>LEGAL-HOLD and RETENTION-SCHEDULE, as destruction needs them: no hold, the case closed and its review due.</summary>
    private static Refusal? DestructionAllowed(CaseState state, RetentionSchedule schedule, Instant now)
    {
        if (state.LegalHold is not null)
            return Refusal.Conflict("A legal hold stands on this case: it is never destroyed while the hold stands.", RuleIds.LegalHold, RuleIds.DestructionTwoLeads);
        return RetentionReviewDue(state, schedule, now) is { } notDue
            ? notDue with { RuleIds = [RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads] }
            : null;
    }
}
