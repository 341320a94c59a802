using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases;

/// <summary>A person at risk, with how the policy classifies them now (AGE-CHILD, ADULT-AT-RISK, ...).</summary>
public sealed record PersonView(
    string Id, [property: Personal] string Reference, [property: Personal] string Description, LocalDate? DateOfBirth, int? AgeYears, AgeBand? AgeBand,
    bool? CareAndSupportNeeds, bool? ExperiencingOrAtRiskOfAbuseOrNeglect, bool? UnableToProtectSelf,
    PersonClassification Classification, string ClassificationRuleId);

/// <summary>A disclosure, its policy version, and how each person it concerns was classified when it was made.</summary>
public sealed record DisclosureView(
    Guid Id, Instant DisclosedAt, Instant RecordedAt, Channel Channel, [property: Personal] string SourceReference, [property: Personal] string Summary,
    PolicyVersion PolicyVersion, IReadOnlyList<Concern> Concerns, IReadOnlyList<PersonAtDisclosure> Persons, Actor RecordedBy);

public sealed record RiskAssessmentView(Guid Id, Instant AssessedAt, Actor Clinician, IReadOnlyList<PersonAssessment> Assessments, [property: Personal] string Rationale);

public sealed record SafetyPlanAttemptView(Guid Id, SafetyPlanOutcome Outcome, [property: Personal] string Reason, Instant RecordedAt, Actor RecordedBy);

public enum NoticeStatus { Due, Sent, Withheld }

public sealed record TransparencyNoticeView(NoticeStatus Status, Instant DueBy, Instant? At, Actor? By, [property: Personal] string? SentVia, WithholdReason? WithheldReason);

public sealed record AgencyResponseView([property: Personal] string Summary, Instant RecordedAt, Actor RecordedBy);

public sealed record EscalationView(
    Guid Id, Route Route, Agency Agency, string PersonId, Guid RiskAssessmentId, IReadOnlyList<Guid> ReliesOn,
    IReadOnlyList<InformationShared> InformationShared, Guid? OverrideId, EscalationDecision Decision,
    Instant MadeAt, Actor MadeBy, TransparencyNoticeView TransparencyNotice, IReadOnlyList<AgencyResponseView> AgencyResponses);

public sealed record NoEscalationDecisionView(Guid Id, Guid? RiskAssessmentId, [property: Personal] string Reason, Instant RecordedAt, Actor RecordedBy);

public sealed record OverrideApprovalView(Actor By, Instant At, [property: Personal] string Justification);

public sealed record OverrideView(
    Guid Id, Route Route, string PersonId, [property: Personal] string Justification, Actor RequestedBy, Instant RequestedAt,
    IReadOnlyList<OverrideApprovalView> Approvals, bool Approved, Guid? UsedByEscalation);

public sealed record ReportDelayView(string PersonId, Instant Until, [property: Personal] string Reason, Instant RecordedAt, Actor RecordedBy);

/// <summary>NEED-TO-KNOW: who may see the case (the restricting lead among them), why, and who restricted it when.</summary>
public sealed record RestrictionView(IReadOnlyList<string> AllowedSubjects, [property: Personal] string Reason, Actor By, Instant At);

/// <summary>The case as officers, clinicians, leads and auditors read it (GET /cases/{id}, and as-of).</summary>
/// <summary>The case's allocated worker, who receives its alerts.</summary>
public sealed record AllocationView(string Subject, [property: Personal] string Name, [property: Personal] string Email, Actor By, Instant At);

/// <summary>LEGAL-HOLD: the hold in force.</summary>
public sealed record LegalHoldView([property: Personal] string Reason, Actor By, Instant At);

/// <summary>RETENTION-SCHEDULE: when this closed case's retention is reviewed, under which schedule.</summary>
public sealed record RetentionView(Instant ReviewAt, string Schedule);

/// <summary>DESTRUCTION-TWO-LEADS: a lead's request to destroy the record, awaiting a different lead's approval.</summary>
public sealed record PendingDestructionView(Guid DecisionId, [property: Personal] string Reason, Actor RequestedBy, Instant RequestedAt);

/// <summary>
/// DESTRUCTION-TWO-LEADS: the case's personal data was destroyed (its key is gone): who asked, who approved, when, under
/// which rules. Every personal field of the case reads <c>{ "destroyed": true }</c>, and dates of birth null.
/// </summary>
public sealed record DataDestroyedView(Guid DecisionId, Actor RequestedBy, Instant RequestedAt, Actor ApprovedBy, Instant DestroyedAt, IReadOnlyList<string> RuleIds);

/// <summary>A subject access export of the case: <c>Draft</c> or <c>Released</c>, when drafted, and how many flags await a decision.</summary>
public sealed record SubjectAccessExportSummary(Guid ExportId, string Status, Instant DraftedAt, int Flags, int Undecided);

public sealed record CaseView(
    Guid Id, long Version, CaseStatus Status, Channel Channel, [property: Personal] string SourceReference, [property: Personal] string Summary,
    Instant OpenedAt, Instant LastChangedAt,
    IReadOnlyList<PersonView> Persons,
    IReadOnlyList<DisclosureView> Disclosures,
    RiskAssessmentView? LatestRiskAssessment,
    IReadOnlyList<SafetyPlanAttemptView> SafetyPlanAttempts,
    IReadOnlyList<EscalationView> Escalations,
    IReadOnlyList<NoEscalationDecisionView> NoEscalationDecisions,
    IReadOnlyList<OverrideView> Overrides,
    IReadOnlyList<ReportDelayView> RequiredReportDelays,
    IReadOnlyList<Obligation> OutstandingObligations,
    int NoteCount,
    RestrictionView? Restriction,
    AllocationView? Allocation,
    LegalHoldView? LegalHold,
    RetentionView? Retention,
    PendingDestructionView? PendingDestruction,
    DataDestroyedView? DataDestroyed,
    IReadOnlyList<SubjectAccessExportSummary> SubjectAccessExports)
{
    /// <param name="now">The instant "now" means for the classifications: the clock, or the instant an as-of view shows.</param>
    public static CaseView From(CaseState s, PolicyOptions options, Instant now)
    {
        var disclosures = PolicyEngine.Disclosures(s, options);
        return new(
        s.Id, s.Version, s.Status, s.Channel, s.SourceReference, s.Summary, s.OpenedAt, s.LastChangedAt,
        [.. s.Persons.Select(p =>
        {
            var (classification, rule) = Rules.Classify(p, now);
            return new PersonView(p.Id, p.Reference, p.Description, p.Age.DateOfBirth, p.Age.Years, p.Age.Band, p.CareAndSupportNeeds,
                p.ExperiencingOrAtRiskOfAbuseOrNeglect, p.UnableToProtectSelf, classification, rule);
        })],
        [.. s.Disclosures.Select((d, i) => new DisclosureView(d.DisclosureId, d.DisclosedAt, d.At, d.Channel, d.SourceReference, d.Summary,
            disclosures[i].PolicyVersion, d.Concerns, disclosures[i].Persons, d.By))],
        s.RiskAssessments.IsEmpty ? null : ToView(s.RiskAssessments[^1]),
        [.. s.SafetyPlanAttempts.Select(a => new SafetyPlanAttemptView(a.SafetyPlanId, a.Outcome, a.Reason, a.At, a.By))],
        [.. s.Escalations.Select(e => ToView(e, options))],
        [.. s.NoEscalationDecisions.Select(n => new NoEscalationDecisionView(n.DecisionId, n.RiskAssessmentId, n.Reason, n.At, n.By))],
        [.. s.Overrides.Select(o => new OverrideView(o.Request.OverrideId, o.Request.Route, o.Request.PersonId, o.Request.Justification,
            o.Request.By, o.Request.At, [.. o.Approvals.Select(a => new OverrideApprovalView(a.By, a.At, a.Justification))], o.IsApproved, o.UsedByEscalation))],
        [.. s.ReportDelays.Select(d => new ReportDelayView(d.PersonId, d.Until, d.Reason, d.At, d.By))],
        PolicyEngine.Obligations(s, options),
        s.NoteCount,
        s.Restriction is { } r ? new RestrictionView([.. r.AllowedSubjects], r.Reason, r.By, r.At) : null,
        s.Allocation is { } a ? new AllocationView(a.Subject, a.Name, a.Email, a.By, a.At) : null,
        s.LegalHold is { } h ? new LegalHoldView(h.Reason, h.By, h.At) : null,
        Rules.RetentionSchedule(s, options.Retention) is { } review ? new RetentionView(review.ReviewAt, review.Schedule) : null,
        s.PendingDestruction is { } p ? new PendingDestructionView(p.DecisionId, p.Reason, p.By, p.At) : null,
        s.DataDestroyed is { } d ? new DataDestroyedView(d.DecisionId, d.RequestedBy, d.RequestedAt, d.By, d.At, d.RuleIds) : null,
        [.. s.SubjectAccessExports.Select(x => new SubjectAccessExportSummary(x.Draft.ExportId, x.Released is null ? "Draft" : "Released", x.Draft.At,
            x.Draft.Flags.Count, x.Undecided.Count()))]);
    }

    private static RiskAssessmentView ToView(RiskAssessmentRecorded r) => new(r.RiskAssessmentId, r.At, r.By, r.Assessments, r.Rationale);

    private static EscalationView ToView(EscalationRecord e, PolicyOptions options)
    {
        var m = e.Made;
        var due = m.At + options.TransparencyNoticeDue;
        var notice = e switch
        {
            { NoticeSent: { } sent } => new TransparencyNoticeView(NoticeStatus.Sent, due, sent.At, sent.By, sent.SentVia, null),
            { NoticeWithheld: { } withheld } => new TransparencyNoticeView(NoticeStatus.Withheld, due, withheld.At, withheld.By, null, withheld.Reason),
            _ => new TransparencyNoticeView(NoticeStatus.Due, due, null, null, null, null),
        };
        return new EscalationView(m.EscalationId, m.Route, m.Agency, m.PersonId, m.RiskAssessmentId, m.ReliesOn, m.InformationShared,
            m.OverrideId, m.Decision, m.At, m.By, notice, [.. e.AgencyResponses.Select(r => new AgencyResponseView(r.Summary, r.At, r.By))]);
    }
}
