using System.Collections.Immutable;
using NodaTime;

namespace SafeguardingCases.Domain.Cases;

/// <summary>A person the policy is evaluated for; the service user is one, with id <see cref="CaseState.ServiceUserId"/>.</summary>
public sealed record PersonAtRisk(
    string Id,
    [property: Personal] string Reference,
    [property: Personal] string Description,
    Age Age,
    bool? CareAndSupportNeeds,
    bool? ExperiencingOrAtRiskOfAbuseOrNeglect,
    bool? UnableToProtectSelf);

/// <summary>An escalation and what followed it: the notice owed (TRANSPARENCY) and agency responses (AGENCY-FEEDBACK).</summary>
public sealed record EscalationRecord(
    EscalationMade Made,
    TransparencyNoticeSent? NoticeSent,
    TransparencyNoticeWithheld? NoticeWithheld,
    ImmutableArray<AgencyResponseRecorded> AgencyResponses)
{
    public bool NoticeOutstanding => NoticeSent is null && NoticeWithheld is null;
}

/// <summary>A policy override (OVERRIDE): requested by a lead, usable once approved by two different leads.</summary>
public sealed record OverrideRecord(OverrideRequested Request, ImmutableArray<OverrideApproved> Approvals, Guid? UsedByEscalation)
{
    public const int ApprovalsNeeded = 2;
    public bool IsApproved => Approvals.Select(a => a.By.Subject).Distinct(StringComparer.Ordinal).Count() >= ApprovalsNeeded;
    public bool IsUsable => IsApproved && UsedByEscalation is null;
}

/// <summary>NEED-TO-KNOW: who may see a restricted case, why, and who restricted it.</summary>
public sealed record CaseRestriction(ImmutableArray<string> AllowedSubjects, [property: Personal] string Reason, Actor By, Instant At)
{
    public bool Names(string subject) => AllowedSubjects.Contains(subject, StringComparer.Ordinal);
}

/// <summary>LEGAL-HOLD: the hold in force.</summary>
public sealed record LegalHold([property: Personal] string Reason, Actor By, Instant At);

/// <summary>The member of staff allocated to the case, who receives its alerts.</summary>
public sealed record AllocatedWorker(string Subject, [property: Personal] string Name, [property: Personal] string Email, Actor By, Instant At);

/// <summary>A subject access export: its draft, the leads' decisions on its flags (the latest per flag counts), and its release.</summary>
public sealed record SubjectAccessExport(SubjectAccessDrafted Draft, ImmutableArray<SubjectAccessFlagDecided> Decisions, SubjectAccessReleased? Released)
{
    /// <summary>The decision in force on a flag, or null while it is undecided.</summary>
    public SubjectAccessFlagDecided? DecisionOn(Guid flagId) => Decisions.LastOrDefault(d => d.FlagId == flagId);

    public IEnumerable<SubjectAccessFlag> Undecided => Draft.Flags.Where(f => DecisionOn(f.FlagId) is null);
}

/// <summary>
/// The state of one case, built from its events by <see cref="Evolve"/>. Immutable: every event gives a new state.
/// <see cref="Version"/> counts the events applied, so it equals the stream version.
/// </summary>
public sealed record CaseState
{
    public const string ServiceUserId = "service-user";

    public Guid Id { get; init; }
    public long Version { get; init; }
    public CaseStatus Status { get; init; }
    public Channel Channel { get; init; }
    [Personal] public string SourceReference { get; init; } = "";
    [Personal] public string Summary { get; init; } = "";
    public Instant OpenedAt { get; init; }
    public Instant LastChangedAt { get; init; }
    public ImmutableArray<PersonAtRisk> Persons { get; init; } = [];
    public ImmutableArray<DisclosureRecorded> Disclosures { get; init; } = [];
    public ImmutableArray<RiskAssessmentRecorded> RiskAssessments { get; init; } = [];
    public ImmutableArray<SafetyPlanAttemptRecorded> SafetyPlanAttempts { get; init; } = [];
    public ImmutableArray<EscalationRecord> Escalations { get; init; } = [];
    public ImmutableArray<NoEscalationDecisionRecorded> NoEscalationDecisions { get; init; } = [];
    public ImmutableArray<OverrideRecord> Overrides { get; init; } = [];
    public ImmutableArray<RequiredReportDelayed> ReportDelays { get; init; } = [];
    public int NoteCount { get; init; }
    /// <summary>NEED-TO-KNOW: the restriction in force, or null when staff see the case through their roles.</summary>
    public CaseRestriction? Restriction { get; init; }
    /// <summary>When the case was last closed; null while it is open.</summary>
    public Instant? ClosedAt { get; init; }
    /// <summary>LEGAL-HOLD: the hold in force, or null.</summary>
    public LegalHold? LegalHold { get; init; }
    /// <summary>RETENTION-SCHEDULE: the latest review's "keep until", which moves the next review there.</summary>
    public Instant? KeptUntil { get; init; }
    /// <summary>The allocated worker, or null: the case's alerts then go to the duty address.</summary>
    public AllocatedWorker? Allocation { get; init; }
    /// <summary>BREAK-GLASS: the grants made while the current restriction has been in force.</summary>
    public ImmutableArray<BreakGlassAccessGranted> BreakGlassGrants { get; init; } = [];
    /// <summary>DESTRUCTION-TWO-LEADS: a lead's request to destroy the record, awaiting a different lead's approval.</summary>
    public DestructionRequested? PendingDestruction { get; init; }
    /// <summary>DESTRUCTION-TWO-LEADS: when the case's personal data was destroyed, or null.</summary>
    public CaseDataDestroyed? DataDestroyed { get; init; }
    /// <summary>Subject access exports drafted for the service user, oldest first.</summary>
    public ImmutableArray<SubjectAccessExport> SubjectAccessExports { get; init; } = [];

    public PersonAtRisk? FindPerson(string personId) => Persons.FirstOrDefault(p => p.Id == personId);
    public DisclosureRecorded? FindDisclosure(Guid id) => Disclosures.FirstOrDefault(d => d.DisclosureId == id);
    public RiskAssessmentRecorded? FindRiskAssessment(Guid id) => RiskAssessments.FirstOrDefault(r => r.RiskAssessmentId == id);
    public EscalationRecord? FindEscalation(Guid id) => Escalations.FirstOrDefault(e => e.Made.EscalationId == id);
    public OverrideRecord? FindOverride(Guid id) => Overrides.FirstOrDefault(o => o.Request.OverrideId == id);
    public SubjectAccessExport? FindSubjectAccessExport(Guid id) => SubjectAccessExports.FirstOrDefault(x => x.Draft.ExportId == id);

    /// <summary>The next id for an added person: <c>person-2</c>, <c>person-3</c>, ... (the service user is the first).</summary>
    public string NextPersonId() => $"person-{Persons.Length + 1}";

    /// <summary>The evolve function: the state after one more event. Pure; unknown events only bump the version.</summary>
    public static CaseState Evolve(CaseState? state, ICaseEvent @event)
    {
        var s = state ?? new CaseState();
        s = s with { Version = s.Version + 1, LastChangedAt = @event.At };
        return @event switch
        {
            CaseOpened e => s with
            {
                Id = e.CaseId,
                Status = CaseStatus.Open,
                Channel = e.Channel,
                SourceReference = e.SourceReference,
                Summary = e.Summary,
                OpenedAt = e.At,
                Persons = [new PersonAtRisk(ServiceUserId, e.ServiceUserReference, "Service user", e.ServiceUserAge, null, null, null)],
            },
            NoteAdded => s with { NoteCount = s.NoteCount + 1 },
            PersonAdded e => s with { Persons = s.Persons.Add(new PersonAtRisk(e.PersonId, e.Reference, e.Description, e.Age, null, null, null)) },
            PersonUpdated e => s with
            {
                Persons = Replace(s.Persons, p => p.Id == e.PersonId, p => p with
                {
                    Age = e.Age,
                    CareAndSupportNeeds = e.CareAndSupportNeeds,
                    ExperiencingOrAtRiskOfAbuseOrNeglect = e.ExperiencingOrAtRiskOfAbuseOrNeglect,
                    UnableToProtectSelf = e.UnableToProtectSelf,
                }),
            },
            DisclosureRecorded e => s with { Disclosures = s.Disclosures.Add(e) },
            RiskAssessmentRecorded e => s with { RiskAssessments = s.RiskAssessments.Add(e) },
            SafetyPlanAttemptRecorded e => s with { SafetyPlanAttempts = s.SafetyPlanAttempts.Add(e) },
            EscalationMade e => s with
            {
                Escalations = s.Escalations.Add(new EscalationRecord(e, null, null, [])),
                Overrides = e.OverrideId is { } oid
                    ? Replace(s.Overrides, o => o.Request.OverrideId == oid, o => o with { UsedByEscalation = e.EscalationId })
                    : s.Overrides,
            },
            NoEscalationDecisionRecorded e => s with { NoEscalationDecisions = s.NoEscalationDecisions.Add(e) },
            TransparencyNoticeSent e => s with { Escalations = Replace(s.Escalations, x => x.Made.EscalationId == e.EscalationId, x => x with { NoticeSent = e }) },
            TransparencyNoticeWithheld e => s with { Escalations = Replace(s.Escalations, x => x.Made.EscalationId == e.EscalationId, x => x with { NoticeWithheld = e }) },
            AgencyResponseRecorded e => s with
            {
                Escalations = Replace(s.Escalations, x => x.Made.EscalationId == e.EscalationId, x => x with { AgencyResponses = x.AgencyResponses.Add(e) }),
            },
            OverrideRequested e => s with { Overrides = s.Overrides.Add(new OverrideRecord(e, [], null)) },
            OverrideApproved e => s with { Overrides = Replace(s.Overrides, o => o.Request.OverrideId == e.OverrideId, o => o with { Approvals = o.Approvals.Add(e) }) },
            RequiredReportDelayed e => s with { ReportDelays = s.ReportDelays.Add(e) },
            CaseClosed e => s with { Status = CaseStatus.Closed, ClosedAt = e.At },
            CaseReopened => s with { Status = CaseStatus.Open, ClosedAt = null, PendingDestruction = null },
            CaseRestricted e => s with
            {
                Restriction = new CaseRestriction([.. e.AllowedSubjects.Append(e.By.Subject).Distinct(StringComparer.Ordinal)], e.Reason, e.By, e.At),
                // BREAK-GLASS: a new restriction ends every earlier grant.
                BreakGlassGrants = [],
            },
            CaseRestrictionLifted => s with { Restriction = null, BreakGlassGrants = [] },
            BreakGlassAccessGranted e => s with { BreakGlassGrants = s.BreakGlassGrants.Add(e) },
            CaseAllocated e => s with { Allocation = new AllocatedWorker(e.Subject, e.Name, e.Email, e.By, e.At) },
            CaseUnallocated => s with { Allocation = null },
            LegalHoldPlaced e => s with { LegalHold = new LegalHold(e.Reason, e.By, e.At) },
            LegalHoldReleased => s with { LegalHold = null },
            RetentionKept e => s with { KeptUntil = e.KeepUntil, PendingDestruction = null },
            DestructionRequested e => s with { PendingDestruction = e },
            CaseDataDestroyed e => WithoutPersonalData(s) with { DataDestroyed = e, PendingDestruction = null },
            SubjectAccessDrafted e => s with { SubjectAccessExports = s.SubjectAccessExports.Add(new SubjectAccessExport(e, [], null)) },
            SubjectAccessFlagDecided e => s with
            {
                SubjectAccessExports = Replace(s.SubjectAccessExports, x => x.Draft.ExportId == e.ExportId, x => x with { Decisions = x.Decisions.Add(e) }),
            },
            SubjectAccessReleased e => s with
            {
                SubjectAccessExports = Replace(s.SubjectAccessExports, x => x.Draft.ExportId == e.ExportId, x => x with { Released = e }),
            },
            _ => s,
        };
    }

    /// <summary>Folds a stream of events into the state; null for an empty stream.</summary>
    public static CaseState? Replay(IEnumerable<ICaseEvent> events)
    {
        CaseState? state = null;
        foreach (var e in events) state = Evolve(state, e);
        return state;
    }

    /// <summary>
    /// DESTRUCTION-TWO-LEADS: the case with every <see cref="PersonalAttribute"/> value gone (texts read as
    /// <see cref="PersonalAttribute.Destroyed"/>, dates of birth as unknown); what happened, when, by whom and under
    /// which rule stays.
    /// </summary>
    private static CaseState WithoutPersonalData(CaseState s)
    {
        const string gone = PersonalAttribute.Destroyed;
        return s with
        {
            SourceReference = gone,
            Summary = gone,
            Persons = [.. s.Persons.Select(p => p with { Reference = gone, Description = gone, Age = p.Age with { DateOfBirth = null } })],
            Disclosures = [.. s.Disclosures.Select(d => d with { SourceReference = gone, Summary = gone })],
            RiskAssessments = [.. s.RiskAssessments.Select(r => r with
            {
                Rationale = gone,
                Assessments = [.. r.Assessments.Select(a => a.PeerExemption is null ? a : a with { PeerExemption = new PeerExemption(gone) })],
            })],
            SafetyPlanAttempts = [.. s.SafetyPlanAttempts.Select(a => a with { Reason = gone })],
            Escalations = [.. s.Escalations.Select(e => e with
            {
                NoticeSent = e.NoticeSent is { } sent ? sent with { Message = gone, SentVia = gone } : null,
                NoticeWithheld = e.NoticeWithheld is { } withheld ? withheld with { Detail = gone } : null,
                AgencyResponses = [.. e.AgencyResponses.Select(r => r with { Summary = gone })],
            })],
            NoEscalationDecisions = [.. s.NoEscalationDecisions.Select(n => n with { Reason = gone })],
            Overrides = [.. s.Overrides.Select(o => o with
            {
                Request = o.Request with { Justification = gone },
                Approvals = [.. o.Approvals.Select(a => a with { Justification = gone })],
            })],
            ReportDelays = [.. s.ReportDelays.Select(d => d with { Reason = gone })],
            Restriction = s.Restriction is { } r ? r with { Reason = gone } : null,
            LegalHold = s.LegalHold is { } h ? h with { Reason = gone } : null,
            Allocation = s.Allocation is { } a ? a with { Name = gone, Email = gone } : null,
            BreakGlassGrants = [.. s.BreakGlassGrants.Select(g => g with { Reason = gone })],
            SubjectAccessExports = [.. s.SubjectAccessExports.Select(x => x with { Decisions = [.. x.Decisions.Select(d => d with { Ground = gone })] })],
        };
    }

    private static ImmutableArray<T> Replace<T>(ImmutableArray<T> items, Func<T, bool> match, Func<T, T> change)
    {
        var builder = items.ToBuilder();
        for (var i = 0; i < builder.Count; i++)
        {
            if (match(builder[i])) builder[i] = change(builder[i]);
        }
        return builder.ToImmutable();
    }
}
