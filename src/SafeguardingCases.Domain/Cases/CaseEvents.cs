using NodaTime;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Cases;

/// <summary>Every fact about a case: immutable, past tense, carrying who recorded it and when.</summary>
public interface ICaseEvent
{
    Actor By { get; }
    Instant At { get; }
}

/// <summary>A concern raised by a disclosure about one person at risk.</summary>
public sealed record Concern(ConcernCategory Category, ConcernStatus Status, string PersonId);

/// <summary>A clinician's assessment of one person within a risk assessment.</summary>
/// <param name="PeerExemption">MANDATORY-CSA: the clinician's recorded peer exemption for this person, if any.</param>
public sealed record PersonAssessment(
    string PersonId,
    ThreatToLife ThreatToLife,
    IReadOnlyList<ConcernCategory> CurrentConcerns,
    Route RecommendedRoute,
    PeerExemption? PeerExemption = null);

/// <summary>
/// The policy decision an escalation was made under, kept with it for auditors: the policy version, how the person was
/// classified, the rule IDs, and the policy parameters in force, so a re-check can use the policy of the time.
/// </summary>
public sealed record EscalationDecision(
    PolicyVersion PolicyVersion,
    PersonClassification Classification,
    IReadOnlyList<string> RuleIds,
    PolicyOptions? Parameters = null);

public sealed record CaseOpened(
    Guid CaseId,
    Channel Channel,
    [property: Personal] string SourceReference,
    [property: Personal] string ServiceUserReference,
    Age ServiceUserAge,
    [property: Personal] string Summary,
    Actor By,
    Instant At) : ICaseEvent;

public sealed record NoteAdded(Guid NoteId, [property: Personal] string Text, Actor By, Instant At) : ICaseEvent;

public sealed record PersonAdded(string PersonId, [property: Personal] string Reference, [property: Personal] string Description, Age Age, Actor By, Instant At) : ICaseEvent;

/// <summary>Age and the three adult-at-risk answers (ADULT-AT-RISK); null answers are not yet known.</summary>
public sealed record PersonUpdated(
    string PersonId,
    Age Age,
    bool? CareAndSupportNeeds,
    bool? ExperiencingOrAtRiskOfAbuseOrNeglect,
    bool? UnableToProtectSelf,
    Actor By,
    Instant At) : ICaseEvent;

public sealed record DisclosureRecorded(
    Guid DisclosureId,
    Instant DisclosedAt,
    Channel Channel,
    [property: Personal] string SourceReference,
    [property: Personal] string Summary,
    IReadOnlyList<Concern> Concerns,
    Actor By,
    Instant At) : ICaseEvent;

/// <summary>A clinician's risk assessment; its time is <see cref="At"/>, the server's clock.</summary>
public sealed record RiskAssessmentRecorded(
    Guid RiskAssessmentId,
    IReadOnlyList<PersonAssessment> Assessments,
    [property: Personal] string Rationale,
    Actor By,
    Instant At) : ICaseEvent;

public sealed record SafetyPlanAttemptRecorded(Guid SafetyPlanId, SafetyPlanOutcome Outcome, [property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

public sealed record EscalationMade(
    Guid EscalationId,
    Route Route,
    Agency Agency,
    string PersonId,
    Guid RiskAssessmentId,
    IReadOnlyList<Guid> ReliesOn,
    IReadOnlyList<InformationShared> InformationShared,
    Guid? OverrideId,
    EscalationDecision Decision,
    Actor By,
    Instant At) : ICaseEvent;

/// <summary>RECORD-NO-ESCALATION: a decision not to escalate, with the service user's classification at the time (for reports).</summary>
public sealed record NoEscalationDecisionRecorded(
    Guid DecisionId,
    Guid? RiskAssessmentId,
    [property: Personal] string Reason,
    Actor By,
    Instant At,
    PersonClassification? ServiceUserClassification = null) : ICaseEvent;

public sealed record TransparencyNoticeSent(Guid EscalationId, [property: Personal] string Message, [property: Personal] string SentVia, Actor By, Instant At) : ICaseEvent;

public sealed record TransparencyNoticeWithheld(Guid EscalationId, WithholdReason Reason, [property: Personal] string Detail, Actor By, Instant At) : ICaseEvent;

public sealed record AgencyResponseRecorded(Guid EscalationId, [property: Personal] string Summary, Actor By, Instant At) : ICaseEvent;

public sealed record OverrideRequested(Guid OverrideId, Route Route, string PersonId, [property: Personal] string Justification, Actor By, Instant At) : ICaseEvent;

public sealed record OverrideApproved(Guid OverrideId, [property: Personal] string Justification, Actor By, Instant At) : ICaseEvent;

public sealed record RequiredReportDelayed(string PersonId, Instant Until, [property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

public sealed record CaseClosed([property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

public sealed record CaseReopened([property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

/// <summary>NEED-TO-KNOW: a lead restricted the case to named staff (the lead who restricts is always among them).</summary>
public sealed record CaseRestricted(IReadOnlyList<string> AllowedSubjects, [property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

/// <summary>NEED-TO-KNOW: the restriction was lifted; the case is seen through roles again and break-glass grants end.</summary>
public sealed record CaseRestrictionLifted(Actor By, Instant At) : ICaseEvent;

/// <summary>BREAK-GLASS: a member of staff who is not named opened a restricted case, saying why, until <paramref name="Until"/>.</summary>
public sealed record BreakGlassAccessGranted(Guid BreakGlassId, [property: Personal] string Reason, Instant Until, Actor By, Instant At) : ICaseEvent;

/// <summary>The case's allocated worker: the member of staff who receives its alerts (their token subject, name and email).</summary>
public sealed record CaseAllocated(string Subject, [property: Personal] string Name, [property: Personal] string Email, Actor By, Instant At) : ICaseEvent;

/// <summary>The case has no allocated worker any more: its alerts go to the duty address.</summary>
public sealed record CaseUnallocated(Actor By, Instant At) : ICaseEvent;

/// <summary>LEGAL-HOLD: a lead placed a legal hold; the case is never destroyed while it stands.</summary>
public sealed record LegalHoldPlaced([property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

/// <summary>LEGAL-HOLD: the hold was released.</summary>
public sealed record LegalHoldReleased(Actor By, Instant At) : ICaseEvent;

/// <summary>RETENTION-SCHEDULE: a review kept the record until <paramref name="KeepUntil"/>, when it is reviewed again.</summary>
public sealed record RetentionKept(Guid DecisionId, Instant KeepUntil, [property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

/// <summary>DESTRUCTION-TWO-LEADS: a retention review's decision to destroy the record, awaiting a different lead's approval.</summary>
public sealed record DestructionRequested(Guid DecisionId, [property: Personal] string Reason, Actor By, Instant At) : ICaseEvent;

/// <summary>
/// DESTRUCTION-TWO-LEADS: the case's data key was destroyed, so its personal data can never be read again. Who requested
/// it and when, who approved it (<see cref="By"/>) and when, and the rules it was done under; nothing personal.
/// </summary>
public sealed record CaseDataDestroyed(Guid DecisionId, Actor RequestedBy, Instant RequestedAt, IReadOnlyList<string> RuleIds, Actor By, Instant At) : ICaseEvent;

/// <summary>
/// A chronology of the case left the service (DESIGN.md, Exports): to whom, why, for which audience, which entries
/// (by case version), and the root of the export's own tree of entries, so the ledger signs what was sent.
/// </summary>
public sealed record ChronologyExported(
    Guid ExportId,
    ExportAudience Audience,
    Agency? Agency,
    [property: Personal] string Recipient,
    [property: Personal] string Purpose,
    IReadOnlyList<long> Versions,
    string RootHash,
    Actor By,
    Instant At) : ICaseEvent;

/// <summary>An entry of a subject access draft that may fall under an exemption, for a lead to decide.</summary>
public sealed record SubjectAccessFlag(Guid FlagId, long Version, ExemptionReason Reason);

/// <summary>A subject access export was drafted for the service user from the case up to <paramref name="UpToVersion"/>.</summary>
public sealed record SubjectAccessDrafted(Guid ExportId, long UpToVersion, IReadOnlyList<SubjectAccessFlag> Flags, Actor By, Instant At) : ICaseEvent;

/// <summary>A lead decided one flag of a subject access draft: release the entry, or withhold it on a ground.</summary>
public sealed record SubjectAccessFlagDecided(Guid ExportId, Guid FlagId, FlagDecision Decision, [property: Personal] string Ground, Actor By, Instant At) : ICaseEvent;

/// <summary>A lead released a subject access export (every flag decided): from now on it can be downloaded.</summary>
public sealed record SubjectAccessReleased(Guid ExportId, Actor By, Instant At) : ICaseEvent;
