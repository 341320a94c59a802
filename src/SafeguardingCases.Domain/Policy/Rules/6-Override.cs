using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>POLICY.md section 6: departing from the policy.</summary>
public static partial class Rules
{
    /// <summary>
    /// OVERRIDE: an escalation the policy does not permit goes ahead only with an override approved by two different
    /// safeguarding leads. It lifts the policy's substantive refusals (the grounds that do not hold, and the rules
    /// that refuse: ADULT-NO-NON-EMERGENCY, HISTORICAL-NOT-EMERGENCY, SAFETY-PLAN-FIRST, POLICY-VERSION,
    /// LEGACY-NOTHING-ELSE, ...) and nothing else: a current clinician's assessment recommending the route is still
    /// needed (CURRENT-INFO, CLINICIAN-DECIDES), the agency must be one of the route's, and one override serves one
    /// escalation. Returns why the override cannot be used, or null when it can.
    /// </summary>
    public static Finding? Override(OverrideRecord candidate, string personId, Route route)
    {
        if (candidate.Request.Route != route || candidate.Request.PersonId != personId)
            return Finding.Refuses(RuleIds.Override, "The override was approved for another route or person.");
        if (!candidate.IsApproved)
            return Finding.Refuses(RuleIds.Override, $"The override needs approvals from {OverrideRecord.ApprovalsNeeded} different safeguarding leads.");
        if (candidate.UsedByEscalation is not null)
            return Finding.Refuses(RuleIds.Override, "The override has already served an escalation.");
        return null;
    }

    /// <summary>OVERRIDE: the approved, unused override for this person and route, if any (what GET /policy considers).</summary>
    public static OverrideRecord? UsableOverride(CaseState state, string personId, Route route) =>
        state.Overrides.FirstOrDefault(o => o.IsUsable && o.Request.PersonId == personId && o.Request.Route == route);
}
