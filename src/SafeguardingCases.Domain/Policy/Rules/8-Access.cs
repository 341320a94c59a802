using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>How a member of staff comes to see a case (ACCESS-LOG records it with every read).</summary>
public enum AccessBasis
{
    /// <summary>The case is not restricted: staff see it through their role.</summary>
    Role,
    /// <summary>The case is restricted and the caller is named in the restriction.</summary>
    Named,
    /// <summary>The case is restricted and the caller holds a break-glass grant that has not run out.</summary>
    BreakGlass,
}

/// <summary>POLICY.md section 8: who may see a case.</summary>
public static partial class Rules
{
    /// <summary>
    /// NEED-TO-KNOW: staff see cases through their role unless a lead has restricted the case; then only the named
    /// staff (the restricting lead among them), and whoever broke the glass within its time. Everyone else is refused,
    /// whatever their role: the restriction exists for cases about the service's own staff, who hold those roles.
    /// Returns how the caller may see the case, or the refusal.
    /// </summary>
    public static (AccessBasis? Basis, Refusal? Refusal) NeedToKnow(CaseState state, Actor actor, Instant now)
    {
        if (state.Restriction is not { } restriction) return (AccessBasis.Role, null);
        if (restriction.Names(actor.Subject)) return (AccessBasis.Named, null);
        if (ActiveBreakGlass(state, actor, now) is not null) return (AccessBasis.BreakGlass, null);
        return (null, Refusal.Restricted(
            "This case is restricted to named staff. In an emergency, record why with POST /cases/{id}/break-glass to open it for a limited time."));
    }

    /// <summary>
    /// BREAK-GLASS: someone not named may open a restricted case by recording why (at least
    /// <see cref="BreakGlassReasonLength"/> characters once trimmed), for at most <paramref name="atMost"/>. Refuses
    /// (403) a short reason or a longer window, and (409) when there is no glass to break: the case is not restricted,
    /// the caller is named, or already holds a grant that has not run out.
    /// </summary>
    public static Refusal? BreakGlass(CaseState state, Actor actor, Instant now, string reason, Duration duration, Duration atMost)
    {
        if (state.Restriction is not { } restriction)
            return Refusal.Conflict("The case is not restricted; staff see it through their role.", RuleIds.BreakGlass);
        if (restriction.Names(actor.Subject))
            return Refusal.Conflict("You are named in the case's restriction; no break-glass access is needed.", RuleIds.BreakGlass);
        if (ActiveBreakGlass(state, actor, now) is { } grant)
            return Refusal.Conflict($"You already hold break-glass access to this case until {grant.Until}.", RuleIds.BreakGlass);
        if (reason.Trim().Length < BreakGlassReasonLength)
            return Refusal.Restricted($"Say why the glass must be broken: a reason of at least {BreakGlassReasonLength} characters.", RuleIds.BreakGlass);
        if (duration > atMost || duration <= Duration.Zero)
            return Refusal.Restricted($"Break-glass access lasts at most {atMost.TotalHours:0.##} hours.", RuleIds.BreakGlass);
        return null;
    }

    /// <summary>BREAK-GLASS: the shortest reason accepted, once trimmed.</summary>
    public const int BreakGlassReasonLength = 10;

    /// <summary>
    /// BREAK-GLASS: a grant opens the case for reading and for the emergency path only: recording a disclosure, a risk
    /// assessment, a safety-plan attempt, a note, an <c>Emergency</c> escalation and its transparency notice (sent or,
    /// by a clinician, withheld). Judged on what the command would record, so a command added later is refused to a
    /// grant holder until it is named here. Never restricting, lifting, overrides, closing or reopening.
    /// </summary>
    public static Refusal? BreakGlassPath(CaseState state, IEnumerable<ICaseEvent> events)
    {
        foreach (var e in events)
        {
            var onPath = e switch
            {
                NoteAdded or DisclosureRecorded or RiskAssessmentRecorded or SafetyPlanAttemptRecorded => true,
                EscalationMade made => made.Route == Route.Emergency,
                TransparencyNoticeSent sent => IsEmergency(sent.EscalationId),
                TransparencyNoticeWithheld withheld => IsEmergency(withheld.EscalationId),
                _ => false,
            };
            if (!onPath)
                return Refusal.Restricted(
                    "Break-glass access opens the case for reading and the emergency path only (a disclosure, a risk assessment, " +
                    "a safety-plan attempt, a note, an Emergency escalation and its transparency notice).", RuleIds.BreakGlass);
        }
        return null;

        bool IsEmergency(Guid escalationId) => state.FindEscalation(escalationId)?.Made.Route == Route.Emergency;
    }

    /// <summary>
    /// RESTRICTION-OWNERS: only a safeguarding lead named in the restriction changes or lifts it; a lead who broke
    /// the glass, or any other lead, is refused. An unrestricted case may be restricted by any lead.
    /// </summary>
    public static Refusal? RestrictionOwners(CaseState state, Actor actor) =>
        state.Restriction is { } restriction && !(actor.HasRole(Roles.SafeguardingLead) && restriction.Names(actor.Subject))
            ? Refusal.Restricted("Only a safeguarding lead named in the restriction changes or lifts it.", RuleIds.RestrictionOwners)
            : null;

    /// <summary>BREAK-GLASS: the caller's grant on the current restriction that has not run out, if any.</summary>
    public static BreakGlassAccessGranted? ActiveBreakGlass(CaseState state, Actor actor, Instant now) =>
        state.BreakGlassGrants.LastOrDefault(g => g.By.Subject == actor.Subject && g.Until > now);

    /// <summary>
    /// ACCESS-LOG: what the access log records of one read of a case's details: how the reader came to see it
    /// (<see cref="AccessBasis"/>), or that the read was refused. A refused attempt is recorded too: an attempt to
    /// read a restricted case is what an auditor most needs to see.
    /// </summary>
    public static string AccessLog(AccessBasis? basis, Refusal? refusal) =>
        refusal is not null ? "Refused" : (basis ?? AccessBasis.Role).ToString();
}
