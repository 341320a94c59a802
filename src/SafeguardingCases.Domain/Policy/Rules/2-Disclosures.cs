using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>POLICY.md section 2: what was disclosed, and when.</summary>
public static partial class Rules
{
    /// <summary>
    /// POLICY-VERSION: a disclosure made at or after <c>Policy:UnifiedPolicyEffectiveFrom</c> is judged under the unified
    /// policy, an earlier one under the legacy policy (section 5). Nothing is re-judged retroactively.
    /// </summary>
    public static PolicyVersion VersionOf(DisclosureRecorded disclosure, PolicyOptions options) =>
        disclosure.DisclosedAt >= options.UnifiedPolicyEffectiveFrom ? PolicyVersion.Unified : PolicyVersion.Legacy;

    /// <summary>
    /// POLICY-VERSION: every disclosure an escalation relies on must support it under its own version. A legacy
    /// disclosure that does not, relied on beside unified ones, is refused by name: it may not ride along.
    /// </summary>
    public static Finding? PolicyVersionRider(DisclosureFacts disclosure, bool anyUnifiedReliedOn) =>
        disclosure.IsLegacy && anyUnifiedReliedOn
            ? Finding.Refuses(RuleIds.PolicyVersion,
                $"Disclosure {disclosure.Disclosure.DisclosureId} was made before the unified policy took effect; it cannot be shared beside newer ones.")
            : null;

    /// <summary>
    /// CURRENT-INFO: the escalation rests on a clinician's risk assessment of the person made after every disclosure
    /// it relies on (whatever that disclosure is about: the clinician must have seen it), that is the person's latest
    /// assessment, and that is no older than allowed (24 h; 1 h for emergencies, configurable). "After" means after
    /// the disclosure was recorded: the clinician cannot have assessed it earlier.
    /// </summary>
    public static Finding CurrentInfo(PersonFacts p, Route route, RiskAssessmentRecorded? assessment, IEnumerable<DisclosureFacts> reliedOn)
    {
        if (assessment is null || p.AssessmentIn(assessment) is null)
            return Finding.Blocks(RuleIds.CurrentInfo, "Record a new risk assessment: no clinician has assessed this person.");
        if (p.LatestAssessment is { } latest && latest.RiskAssessmentId != assessment.RiskAssessmentId)
            return Finding.Blocks(RuleIds.CurrentInfo, "Record a new risk assessment, or cite the latest: a newer assessment of this person exists.");
        var unseen = reliedOn.FirstOrDefault(d => d.Disclosure.At > assessment.At);
        if (unseen is not null)
            return Finding.Blocks(RuleIds.CurrentInfo,
                $"Record a new risk assessment: disclosure {unseen.Disclosure.DisclosureId} was recorded after the assessment.");
        var validFor = ValidFor(route, p.Options);
        if (p.Now - assessment.At > validFor)
            return Finding.Blocks(RuleIds.CurrentInfo, $"Record a new risk assessment: the latest one is older than {Hours(validFor)}.");
        return Finding.Met(RuleIds.CurrentInfo, "The risk assessment is current and was made after every disclosure relied on.");
    }

    /// <summary>How long an assessment supports an escalation on this route (CURRENT-INFO).</summary>
    public static Duration ValidFor(Route route, PolicyOptions options) =>
        route == Route.Emergency ? options.EmergencyRiskAssessmentValidFor : options.RiskAssessmentValidFor;

    private static string Hours(Duration d) =>
        d.TotalMinutes % 60 == 0 ? $"{(long)d.TotalHours} h" : $"{(long)d.TotalMinutes} min";
}
