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
    /// BREAK-GLASS: someone not named may open a restricted case by recording why. Refuses when there is no glass to
    /// break (the case is not restricted, the caller is named, or already holds a grant that has not run out).
    /// </summary>
    public static Refusal? BreakGlass(CaseState state, Actor actor, Instant now)
    {
        if (state.Restriction is not { } restriction)
            return Refusal.Conflict("The case is not restricted; staff see it through their role.", RuleIds.BreakGlass);
        if (restriction.Names(actor.Subject))
            return Refusal.Conflict("You are named in the case's restriction; no break-glass access is needed.", RuleIds.BreakGlass);
        if (ActiveBreakGlass(state, actor, now) is { } grant)
            return Refusal.Conflict($"You already hold break-glass access to this case until {grant.Until}.", RuleIds.BreakGlass);
        return null;
    }

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
