using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>What a rule says about a route.</summary>
public enum Effect
{
    /// <summary>The rule permits the route, to the agencies it names.</summary>
    Grounds,
    /// <summary>The rule makes the route required, not merely permitted (MANDATORY-CSA).</summary>
    Requires,
    /// <summary>
    /// A ground that does not hold here. It refuses only when nothing else grounds the route; an override may lift it.
    /// </summary>
    NoGround,
    /// <summary>The rule refuses the route whatever else grounds it; an override may lift it.</summary>
    Refuses,
    /// <summary>The rule refuses and nothing lifts it, not even an override (CURRENT-INFO, CLINICIAN-DECIDES).</summary>
    Blocks,
    /// <summary>A condition of the route that is met (cited, so the answer says why).</summary>
    Met,
}

/// <summary>One rule's verdict on one route, with the reason in words a safeguarding lead would use.</summary>
public sealed record Finding(string RuleId, Effect Effect, string Reason, IReadOnlyList<Agency>? Agencies = null)
{
    public bool IsGround => Effect is Effect.Grounds or Effect.Requires;

    public static Finding Grounds(string rule, IReadOnlyList<Agency> agencies, string reason) => new(rule, Effect.Grounds, reason, agencies);
    public static Finding Requires(string rule, IReadOnlyList<Agency> agencies, string reason) => new(rule, Effect.Requires, reason, agencies);
    public static Finding NoGround(string rule, string reason) => new(rule, Effect.NoGround, reason);
    public static Finding Refuses(string rule, string reason) => new(rule, Effect.Refuses, reason);
    public static Finding Blocks(string rule, string reason) => new(rule, Effect.Blocks, reason);
    public static Finding Met(string rule, string reason) => new(rule, Effect.Met, reason);
}

/// <summary>The facts about one person that every rule reads, computed once per evaluation.</summary>
public sealed record PersonFacts(
    CaseState State,
    PersonAtRisk Person,
    RiskAssessmentRecorded? LatestAssessment,
    PolicyOptions Options,
    Instant Now)
{
    public bool IsServiceUser => Person.Id == CaseState.ServiceUserId;

    /// <summary>How the person is classified now (for the case view and the decision kept with an escalation).</summary>
    public (PersonClassification Classification, string RuleId) ClassifiedNow => Rules.Classify(Person, Now);

    /// <summary>The clinician's assessment of this person within an assessment, if it assesses them.</summary>
    public PersonAssessment? AssessmentIn(RiskAssessmentRecorded? assessment) => Rules.AssessmentOf(assessment, Person.Id);
}

/// <summary>
/// One disclosure as the policy judges it for one person: its policy version (POLICY-VERSION), the person's
/// classification at the time it was made (AGE-CHILD), and the concerns it raises about that person.
/// </summary>
public sealed record DisclosureFacts(
    DisclosureRecorded Disclosure,
    PolicyVersion Version,
    PersonClassification Classification,
    string ClassificationRuleId,
    IReadOnlyList<Concern> Concerns)
{
    public bool IsLegacy => Version == PolicyVersion.Legacy;
    public bool AboutChild => Classification is PersonClassification.Child or PersonClassification.UnknownTreatedAsChild;
    public bool HasCurrent => Concerns.Any(c => c.Status == ConcernStatus.Current);

    public static DisclosureFacts For(DisclosureRecorded d, PersonAtRisk person, PolicyOptions options)
    {
        var (classification, rule) = Rules.Classify(person, d.DisclosedAt);
        var concerns = new List<Concern>(d.Concerns.Count);
        foreach (var c in d.Concerns)
        {
            if (c.PersonId == person.Id) concerns.Add(c);
        }
        return new DisclosureFacts(d, Rules.VersionOf(d, options), classification, rule, concerns);
    }

    /// <summary>Whether a disclosure raises any concern about the person.</summary>
    public static bool IsAbout(DisclosureRecorded d, string personId)
    {
        foreach (var c in d.Concerns)
        {
            if (c.PersonId == personId) return true;
        }
        return false;
    }
}

/// <summary>The agencies of each route and of each rule that grounds one: one table, read by the rules and the refusals.</summary>
public static class Agencies
{
    public static readonly Agency[] Emergency = [Agency.Police999, Agency.Ambulance999];
    public static readonly Agency[] NonEmergency = [Agency.ChildrensSocialCare, Agency.AdultSocialCare, Agency.Police101, Agency.Lado];

    /// <summary>Which agencies each grounding rule sends to.</summary>
    public static readonly IReadOnlyDictionary<string, Agency[]> ByRule = new Dictionary<string, Agency[]>(StringComparer.Ordinal)
    {
        [RuleIds.EmergencyLife] = Emergency,
        [RuleIds.LegacyLife] = Emergency,
        [RuleIds.ChildSafeguarding] = [Agency.ChildrensSocialCare, Agency.Police101],
        [RuleIds.AdultAtRiskSafeguarding] = [Agency.AdultSocialCare, Agency.Police101],
        [RuleIds.PositionOfTrust] = [Agency.Lado],
        [RuleIds.MandatoryCsa] = [Agency.Police101, Agency.ChildrensSocialCare],
        [RuleIds.LegacyPositionOfTrust] = [Agency.Lado, Agency.Police101],
    };

    public static Agency[] Of(Route route) => route == Route.Emergency ? Emergency : NonEmergency;

    /// <summary>The rules that could ground an escalation to this agency on this route: cited when it goes elsewhere.</summary>
    public static IReadOnlyList<string> RulesFor(Agency agency, Route route)
    {
        if (!Of(route).Contains(agency)) return [route == Route.Emergency ? RuleIds.EmergencyLife : RuleIds.ChildSafeguarding];
        return [.. ByRule.Where(r => r.Value.Contains(agency) && (route == Route.Emergency) == r.Value.Contains(Agency.Police999))
            .Select(r => r.Key).Where(r => r != RuleIds.LegacyLife && r != RuleIds.LegacyPositionOfTrust)];
    }
}
