using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>POLICY.md section 5: the legacy policy, for disclosures made before the effective date.</summary>
public static partial class Rules
{
    /// <summary>
    /// LEGACY-LIFE: under the legacy policy only an immediate threat to life permits an escalation, and only Emergency.
    /// </summary>
    public static Finding LegacyLife(DisclosureFacts d, PersonAssessment? pa)
    {
        if (d.Concerns.Count == 0) return NoConcern(RuleIds.LegacyLife, d);
        if (!d.HasCurrent) return HistoricalNotEmergency(d);
        return ImmediateThreat(RuleIds.LegacyLife, pa);
    }

    /// <summary>
    /// LEGACY-POSITION-OF-TRUST: serious harm to the user themselves by someone in a position of trust permits a
    /// referral to the LADO or police 101, whatever the user's age, at the disclosure or now: an adult's pre-merger post
    /// about abuse by a teacher at school may be referred (so it is judged before ADULT-NO-NON-EMERGENCY). Harm to
    /// other people disclosed under the legacy policy is not shared (LEGACY-NOTHING-ELSE).
    /// </summary>
    public static Finding? LegacyPositionOfTrust(PersonFacts p, DisclosureFacts d)
    {
        if (!d.IsLegacy || !d.Concerns.Any(c => c.Category == ConcernCategory.PositionOfTrust)) return null;
        if (!p.IsServiceUser)
            return Finding.NoGround(RuleIds.LegacyPositionOfTrust,
                "Under the legacy policy only harm to the user themselves by someone in a position of trust may be referred.");
        return Finding.Grounds(RuleIds.LegacyPositionOfTrust, Agencies.ByRule[RuleIds.LegacyPositionOfTrust],
            "The user disclosed serious harm to themselves by someone in a position of trust.");
    }

    /// <summary>
    /// LEGACY-NOTHING-ELSE: nothing else disclosed under the legacy policy is shared: the user was promised
    /// confidentiality. Cited on every refusal or NotPermitted answer that rests on a legacy disclosure.
    /// </summary>
    public static Finding LegacyNothingElse() => Finding.Refuses(RuleIds.LegacyNothingElse,
        "Concerns disclosed before the unified policy took effect are kept confidential.");

    /// <summary>
    /// The rules that refuse an escalation the policy permits, but not to the agency asked for: the rules that name
    /// the agencies it may go to. One resting on a legacy disclosure cites the legacy rule that grounds it and
    /// LEGACY-NOTHING-ELSE, never a unified-policy rule; MANDATORY-CSA is cited only where it is what grounds the route.
    /// </summary>
    public static IReadOnlyList<string> WrongAgency(Agency agency, Route route, RouteDecision decision, bool restsOnLegacy) =>
        restsOnLegacy
            ? [.. decision.RuleIds.Where(r => r is RuleIds.LegacyLife or RuleIds.LegacyPositionOfTrust), RuleIds.LegacyNothingElse]
            : [.. Agencies.RulesFor(agency, route).Where(r => r != RuleIds.MandatoryCsa || decision.RuleIds.Contains(RuleIds.MandatoryCsa))];
}
