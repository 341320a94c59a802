using NodaTime;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Domain.Cases;

/// <summary>Who is acting, when, and under which policy options: the context every decide function receives.</summary>
public sealed record CommandContext(Actor Actor, Instant Now, PolicyOptions Options);

public sealed record OpenCase(Guid CaseId, Channel Channel, string SourceReference, string ServiceUserReference, Age ServiceUserAge, string Summary);
public sealed record AddNote(Guid NoteId, string Text);
public sealed record AddPerson(string Reference, string Description, Age Age);
/// <summary>Records a person's age and the adult-at-risk answers; a null <paramref name="Age"/> keeps the age already recorded.</summary>
public sealed record UpdatePerson(string PersonId, Age? Age, bool? CareAndSupportNeeds, bool? ExperiencingOrAtRiskOfAbuseOrNeglect, bool? UnableToProtectSelf);
public sealed record RecordDisclosure(Guid DisclosureId, Instant DisclosedAt, Channel Channel, string SourceReference, string Summary, IReadOnlyList<Concern> Concerns);
public sealed record RecordRiskAssessment(Guid RiskAssessmentId, IReadOnlyList<PersonAssessment> Assessments, string Rationale);
public sealed record RecordSafetyPlanAttempt(Guid SafetyPlanId, SafetyPlanOutcome Outcome, string Reason);
public sealed record Escalate(Guid EscalationId, EscalationRequest Request);
public sealed record RecordNoEscalationDecision(Guid DecisionId, string Reason);
public sealed record SendTransparencyNotice(Guid EscalationId, string Message, string SentVia);
public sealed record WithholdTransparencyNotice(Guid EscalationId, WithholdReason Reason, string Detail);
public sealed record RecordAgencyResponse(Guid EscalationId, string Summary);
public sealed record RequestOverride(Guid OverrideId, Route Route, string PersonId, string Justification);
public sealed record ApproveOverride(Guid OverrideId, string Justification);
public sealed record DelayRequiredReport(string PersonId, Instant Until, string Reason);
public sealed record CloseCase(string Reason);
public sealed record ReopenCase(string Reason);
public sealed record RestrictCase(IReadOnlyList<string> AllowedSubjects, string Reason);
public sealed record LiftRestriction;
public sealed record AllocateCase(string Subject, string Name, string Email);
public sealed record UnallocateCase;
public sealed record PlaceLegalHold(string Reason);
public sealed record ReleaseLegalHold;
public sealed record KeepRecord(Guid DecisionId, Instant KeepUntil, string Reason);
public sealed record RequestDestruction(Guid DecisionId, string Reason);
public sealed record ApproveDestruction(Guid DecisionId);
/// <summary>Records that a chronology left the service (<paramref name="Versions"/>: its entries; <paramref name="RootHash"/>: their tree's root).</summary>
public sealed record RecordExport(Guid ExportId, ExportAudience Audience, Agency? Agency, string Recipient, string Purpose, IReadOnlyList<long> Versions, string RootHash);
/// <summary>Drafts a subject access export of the case up to <paramref name="UpToVersion"/>, with the entries flagged for a lead.</summary>
public sealed record DraftSubjectAccess(Guid ExportId, long UpToVersion, IReadOnlyList<SubjectAccessFlag> Flags);
public sealed record DecideSubjectAccessFlag(Guid ExportId, Guid FlagId, FlagDecision Decision, string Ground);
public sealed record ReleaseSubjectAccess(Guid ExportId);
/// <summary>BREAK-GLASS: open a restricted case for <paramref name="For"/>, which may be at most <paramref name="AtMost"/>.</summary>
public sealed record BreakGlass(Guid BreakGlassId, string Reason, Duration For, Duration AtMost);

/// <summary>
/// The decide functions: each takes the case state and a command and returns the events to append or a refusal.
/// Pure: no I/O and no clock; the time comes in with the context. The policy decides through <see cref="PolicyEngine"/>.
/// </summary>
public static class CaseDecider
{
    public static Decision Open(OpenCase c, CommandContext ctx) =>
        Decision.Accept(new CaseOpened(c.CaseId, c.Channel, c.SourceReference, c.ServiceUserReference, c.ServiceUserAge, c.Summary, ctx.Actor, ctx.Now));

    public static Decision Decide(CaseState state, AddNote c, CommandContext ctx) =>
        WhileOpen(state) ?? Decision.Accept(new NoteAdded(c.NoteId, c.Text, ctx.Actor, ctx.Now));

    public static Decision Decide(CaseState state, AddPerson c, CommandContext ctx) =>
        WhileOpen(state) ?? Decision.Accept(new PersonAdded(state.NextPersonId(), c.Reference, c.Description, c.Age, ctx.Actor, ctx.Now));

    public static Decision Decide(CaseState state, UpdatePerson c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (state.FindPerson(c.PersonId) is not { } person) return Refusal.PersonNotFound(c.PersonId);
        // Recording the adult-at-risk answers never erases an age: no age given keeps the one recorded.
        return Decision.Accept(new PersonUpdated(c.PersonId, c.Age ?? person.Age, c.CareAndSupportNeeds, c.ExperiencingOrAtRiskOfAbuseOrNeglect, c.UnableToProtectSelf, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, RecordDisclosure c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        foreach (var concern in c.Concerns)
        {
            if (state.FindPerson(concern.PersonId) is null)
                return Refusal.NotFound($"Person '{concern.PersonId}' is not a person at risk in this case; add them first.");
        }
        return Decision.Accept(new DisclosureRecorded(c.DisclosureId, c.DisclosedAt, c.Channel, c.SourceReference, c.Summary, c.Concerns, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, RecordRiskAssessment c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (!ctx.Actor.HasRole(Roles.Clinician))
            return Refusal.Policy("Only a clinician records a risk assessment", [RuleIds.ClinicianDecides], ["Risk assessments are recorded by clinicians."]);
        foreach (var pa in c.Assessments)
        {
            if (state.FindPerson(pa.PersonId) is null) return Refusal.PersonNotFound(pa.PersonId);
        }
        if (c.Assessments.Select(a => a.PersonId).Distinct(StringComparer.Ordinal).Count() != c.Assessments.Count)
            return Refusal.Conflict("Each person is assessed once in a risk assessment.");
        return Decision.Accept(new RiskAssessmentRecorded(c.RiskAssessmentId, c.Assessments, c.Rationale, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, RecordSafetyPlanAttempt c, CommandContext ctx) =>
        WhileOpen(state) ?? Decision.Accept(new SafetyPlanAttemptRecorded(c.SafetyPlanId, c.Outcome, c.Reason, ctx.Actor, ctx.Now));

    public static Decision Decide(CaseState state, Escalate c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        var check = PolicyEngine.CheckEscalation(state, c.Request, ctx.Options, ctx.Now);
        if (check.Refusal is { } refusal) return refusal;
        var r = c.Request;
        return Decision.Accept(new EscalationMade(c.EscalationId, r.Route, r.Agency, r.PersonId, r.RiskAssessmentId, r.ReliesOn,
            r.InformationShared, r.OverrideId, check.Decision!, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, RecordNoEscalationDecision c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (Rules.CheckNoEscalationDecision(state) is { } refusal) return refusal;
        var serviceUser = state.FindPerson(CaseState.ServiceUserId);
        PersonClassification? classification = serviceUser is null ? null : Rules.Classify(serviceUser, ctx.Now).Classification;
        return Decision.Accept(new NoEscalationDecisionRecorded(c.DecisionId, state.RiskAssessments[^1].RiskAssessmentId, c.Reason, ctx.Actor, ctx.Now, classification));
    }

    public static Decision Decide(CaseState state, SendTransparencyNotice c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        var escalation = state.FindEscalation(c.EscalationId);
        if (escalation is null) return Refusal.NotFound($"Escalation {c.EscalationId} is not in this case.");
        if (!escalation.NoticeOutstanding) return Refusal.Conflict("The transparency notice for this escalation was already sent or withheld.", RuleIds.Transparency);
        return Decision.Accept(new TransparencyNoticeSent(c.EscalationId, c.Message, c.SentVia, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, WithholdTransparencyNotice c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (Rules.TransparencyWithheld(state, c.EscalationId, ctx.Actor) is { } refusal) return refusal;
        return Decision.Accept(new TransparencyNoticeWithheld(c.EscalationId, c.Reason, c.Detail, ctx.Actor, ctx.Now));
    }

    /// <summary>AGENCY-FEEDBACK: recorded when it comes, on an open or a closed case (closing never waits for it).</summary>
    public static Decision Decide(CaseState state, RecordAgencyResponse c, CommandContext ctx)
    {
        if (Rules.AgencyFeedback(state, c.EscalationId) is { } refusal) return refusal;
        return Decision.Accept(new AgencyResponseRecorded(c.EscalationId, c.Summary, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, RequestOverride c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (state.FindPerson(c.PersonId) is null) return Refusal.PersonNotFound(c.PersonId);
        if (c.Route is not (Route.Emergency or Route.NonEmergency))
            return Refusal.Policy("An override is for an escalation route", [RuleIds.Override], ["An override's route is Emergency or NonEmergency."]);
        return Decision.Accept(new OverrideRequested(c.OverrideId, c.Route, c.PersonId, c.Justification, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, ApproveOverride c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        var o = state.FindOverride(c.OverrideId);
        if (o is null) return Refusal.NotFound($"Override {c.OverrideId} is not in this case.");
        if (o.UsedByEscalation is not null) return Refusal.Conflict("The override has already served an escalation.", RuleIds.Override);
        if (o.Approvals.Any(a => a.By.Subject == ctx.Actor.Subject))
            return Refusal.Conflict("This lead has already approved the override; a second, different lead must approve it.", RuleIds.Override);
        if (o.IsApproved) return Refusal.Conflict("The override is already approved by two different leads.", RuleIds.Override);
        return Decision.Accept(new OverrideApproved(c.OverrideId, c.Justification, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, DelayRequiredReport c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (Rules.ReportDelay(state, c.PersonId, c.Until, ctx.Options, ctx.Now) is { } refusal) return refusal;
        return Decision.Accept(new RequiredReportDelayed(c.PersonId, c.Until, c.Reason, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, CloseCase c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (PolicyEngine.CheckClose(state, ctx.Options) is { } refusal) return refusal;
        return Decision.Accept(new CaseClosed(c.Reason, ctx.Actor, ctx.Now));
    }

    public static Decision Decide(CaseState state, ReopenCase c, CommandContext ctx) =>
        state.Status == CaseStatus.Closed
            ? Decision.Accept(new CaseReopened(c.Reason, ctx.Actor, ctx.Now))
            : Refusal.Conflict("The case is open.");

    /// <summary>
    /// NEED-TO-KNOW: a lead restricts the case to named staff; again, only a lead named in the restriction
    /// (RESTRICTION-OWNERS), and the new list replaces the old one and ends every break-glass grant.
    /// </summary>
    public static Decision Decide(CaseState state, RestrictCase c, CommandContext ctx)
    {
        if (!ctx.Actor.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead restricts a case", [RuleIds.NeedToKnow], ["A safeguarding lead restricts a case to named staff."]);
        if (Rules.RestrictionOwners(state, ctx.Actor) is { } notOwner) return notOwner;
        return Decision.Accept(new CaseRestricted([.. c.AllowedSubjects.Distinct(StringComparer.Ordinal)], c.Reason, ctx.Actor, ctx.Now));
    }

    /// <summary>NEED-TO-KNOW: a lead named in the restriction lifts it (RESTRICTION-OWNERS).</summary>
    public static Decision Decide(CaseState state, LiftRestriction c, CommandContext ctx)
    {
        if (!ctx.Actor.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead lifts a restriction", [RuleIds.NeedToKnow], ["A safeguarding lead lifts a restriction."]);
        if (state.Restriction is null) return Refusal.Conflict("The case is not restricted.", RuleIds.NeedToKnow);
        if (Rules.RestrictionOwners(state, ctx.Actor) is { } notOwner) return notOwner;
        return Decision.Accept(new CaseRestrictionLifted(ctx.Actor, ctx.Now));
    }

    /// <summary>
    /// ALLOCATION: an officer allocates the case to themselves, a lead to anyone; on a restricted case only to someone
    /// the restriction names (the worker must be able to open what they are alerted about).
    /// </summary>
    public static Decision Decide(CaseState state, AllocateCase c, CommandContext ctx)
    {
        if (WhileOpen(state) is { } closed) return closed;
        if (!ctx.Actor.HasRole(Roles.SafeguardingLead) && c.Subject != ctx.Actor.Subject)
            return Refusal.Forbidden("A safeguarding officer allocates a case to themselves; a safeguarding lead allocates it to anyone.");
        if (state.Restriction is { } restriction && !restriction.Names(c.Subject))
            return Refusal.Conflict("The case is restricted and the restriction does not name this member of staff; name them first.", RuleIds.NeedToKnow);
        if (state.Allocation is { } current && current.Subject == c.Subject && current.Name == c.Name && current.Email == c.Email)
            return Refusal.Conflict("The case is already allocated to this member of staff.");
        return Decision.Accept(new CaseAllocated(c.Subject, c.Name, c.Email, ctx.Actor, ctx.Now));
    }

    /// <summary>ALLOCATION: the allocated worker unallocates themselves; a lead unallocates anyone.</summary>
    public static Decision Decide(CaseState state, UnallocateCase c, CommandContext ctx)
    {
        if (state.Allocation is not { } current) return Refusal.Conflict("The case is not allocated.");
        if (!ctx.Actor.HasRole(Roles.SafeguardingLead) && current.Subject != ctx.Actor.Subject)
            return Refusal.Forbidden("A safeguarding officer unallocates only themselves; a safeguarding lead unallocates anyone.");
        return Decision.Accept(new CaseUnallocated(ctx.Actor, ctx.Now));
    }

    /// <summary>LEGAL-HOLD: a lead places a hold (with a reason); the case is never destroyed while it stands.</summary>
    public static Decision Decide(CaseState state, PlaceLegalHold c, CommandContext ctx) =>
        Rules.LegalHold(state, ctx.Actor, placing: true) ?? Decision.Accept(new LegalHoldPlaced(c.Reason, ctx.Actor, ctx.Now));

    /// <summary>LEGAL-HOLD: a lead releases the hold.</summary>
    public static Decision Decide(CaseState state, ReleaseLegalHold c, CommandContext ctx) =>
        Rules.LegalHold(state, ctx.Actor, placing: false) ?? Decision.Accept(new LegalHoldReleased(ctx.Actor, ctx.Now));

    /// <summary>RETENTION-SCHEDULE: a lead's review keeps a closed case whose review is due, until a later review.</summary>
    public static Decision Decide(CaseState state, KeepRecord c, CommandContext ctx)
    {
        if (!ctx.Actor.HasRole(Roles.SafeguardingLead))
            return Refusal.Policy("Only a safeguarding lead reviews a record", [RuleIds.RetentionSchedule], ["A safeguarding lead decides retention."]);
        return Rules.RetentionReviewDue(state, ctx.Options.Retention, ctx.Now, c.KeepUntil)
            ?? Decision.Accept(new RetentionKept(c.DecisionId, c.KeepUntil, c.Reason, ctx.Actor, ctx.Now));
    }

    /// <summary>DESTRUCTION-TWO-LEADS: a lead's review asks for the record to be destroyed; a different lead approves.</summary>
    public static Decision Decide(CaseState state, RequestDestruction c, CommandContext ctx) =>
        Rules.DestructionRequest(state, ctx.Actor, ctx.Options.Retention, ctx.Now)
        ?? Decision.Accept(new DestructionRequested(c.DecisionId, c.Reason, ctx.Actor, ctx.Now));

    /// <summary>DESTRUCTION-TWO-LEADS: a different lead approves; the case's data key is destroyed with this event.</summary>
    public static Decision Decide(CaseState state, ApproveDestruction c, CommandContext ctx) =>
        Rules.DestructionTwoLeads(state, ctx.Actor, c.DecisionId, ctx.Options.Retention, ctx.Now)
        ?? Decision.Accept(new CaseDataDestroyed(c.DecisionId, state.PendingDestruction!.By, state.PendingDestruction.At,
            [RuleIds.RetentionSchedule, RuleIds.DestructionTwoLeads], ctx.Actor, ctx.Now));

    /// <summary>BREAK-GLASS: access to a restricted case for someone not named, for a fixed time, with the reason recorded.</summary>
    public static Decision Decide(CaseState state, BreakGlass c, CommandContext ctx) =>
        Rules.BreakGlass(state, ctx.Actor, ctx.Now, c.Reason, c.For, c.AtMost) is { } refusal
            ? refusal
            : Decision.Accept(new BreakGlassAccessGranted(c.BreakGlassId, c.Reason, ctx.Now + c.For, ctx.Actor, ctx.Now));

    /// <summary>
    /// Every export is recorded. A destroyed case's skeleton may still be exported; free text is only ever stored under
    /// the case's key, which is gone, so its recipient and purpose are recorded as destroyed too (the access log keeps who).
    /// </summary>
    public static Decision Decide(CaseState state, RecordExport c, CommandContext ctx)
    {
        var (recipient, purpose) = state.DataDestroyed is null ? (c.Recipient, c.Purpose) : (PersonalAttribute.Destroyed, PersonalAttribute.Destroyed);
        return Decision.Accept(new ChronologyExported(c.ExportId, c.Audience, c.Agency, recipient, purpose, c.Versions, c.RootHash, ctx.Actor, ctx.Now));
    }

    /// <summary>A subject access draft: what it flags is for a lead to decide before anything is released.</summary>
    public static Decision Decide(CaseState state, DraftSubjectAccess c, CommandContext ctx) =>
        state.FindSubjectAccessExport(c.ExportId) is not null
            ? Refusal.Conflict("A subject access export with this id was drafted already.")
            : Decision.Accept(new SubjectAccessDrafted(c.ExportId, c.UpToVersion, c.Flags, ctx.Actor, ctx.Now));

    /// <summary>A lead decides one flag: release the entry, or withhold it on a ground. Until release it may be decided again.</summary>
    public static Decision Decide(CaseState state, DecideSubjectAccessFlag c, CommandContext ctx)
    {
        if (state.FindSubjectAccessExport(c.ExportId) is not { } export)
            return Refusal.NotFound($"No subject access export with id '{c.ExportId}' in this case.");
        if (export.Draft.Flags.All(f => f.FlagId != c.FlagId))
            return Refusal.NotFound($"No flag with id '{c.FlagId}' in this subject access export.");
        if (export.Released is not null)
            return Refusal.Conflict("This subject access export was released; its decisions are final.");
        return Decision.Accept(new SubjectAccessFlagDecided(c.ExportId, c.FlagId, c.Decision, c.Ground, ctx.Actor, ctx.Now));
    }

    /// <summary>A lead releases a subject access export once every flag is decided; only then can it be downloaded.</summary>
    public static Decision Decide(CaseState state, ReleaseSubjectAccess c, CommandContext ctx)
    {
        if (state.FindSubjectAccessExport(c.ExportId) is not { } export)
            return Refusal.NotFound($"No subject access export with id '{c.ExportId}' in this case.");
        if (export.Released is not null) return Refusal.Conflict("This subject access export was released already.");
        var undecided = export.Undecided.Count();
        return undecided > 0
            ? Refusal.Conflict($"{undecided} flagged {(undecided == 1 ? "entry awaits" : "entries await")} a decision; decide every flag before releasing.")
            : Decision.Accept(new SubjectAccessReleased(c.ExportId, ctx.Actor, ctx.Now));
    }

    private static Decision? WhileOpen(CaseState state) =>
        state.Status == CaseStatus.Closed ? Decision.Refuse(Refusal.Conflict("The case is closed; reopen it first.")) : null;
}
