using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>
/// POLICY.md as a pure function of the case state, the policy options and the current instant.
/// The same code answers <c>GET .../policy</c> (<see cref="Evaluate"/>), checks an escalation
/// (<see cref="CheckEscalation"/>) and re-checks past escalations for auditors.
/// </summary>
/// <remarks>
/// Choices where POLICY.md is silent, each tied to its rule:
/// <list type="bullet">
/// <item>AGE-CHILD: classification uses the age as recorded on the person (recorded near the disclosure).</item>
/// <item>CURRENT-INFO: "after the latest disclosure it relies on" means after that disclosure was recorded (the clinician cannot have assessed it earlier), and the cited assessment must be the latest one covering the person, so an older, more permissive assessment cannot be cited past a newer one.</item>
/// <item>SAFETY-PLAN-FIRST: the attempt must be recorded at or after the latest disclosure relied on (this episode); <c>Agreed</c> means a plan holds, so no emergency; <c>NotAttempted</c> counts only when recorded by a clinician (the policy asks for a clinician's reason).</item>
/// <item>CHILD-SAFEGUARDING, ADULT-AT-RISK-SAFEGUARDING, POSITION-OF-TRUST: the clinician's assessment must accept a qualifying concern as current (CLINICIAN-DECIDES).</item>
/// <item>MANDATORY-CSA: any sexual concern (current or historical) about a person who is a child, from a unified-policy disclosure; due from <c>disclosedAt</c> (the service held the post from then); the peer exemption needs the person aged 13 to 17.</item>
/// <item>LEGACY-POSITION-OF-TRUST: a pre-merger position-of-trust concern about a person who is not an adult not at risk (ADULT-NO-NON-EMERGENCY holds "ever"); agencies LADO or police 101.</item>
/// <item>OVERRIDE: an approved override lifts the substantive refusals only; CURRENT-INFO and CLINICIAN-DECIDES still apply, so a clinician's current assessment must recommend the route.</item>
/// </list>
/// </remarks>
public static partial class PolicyEngine
{
    private static readonly Agency[] EmergencyAgencies = [Agency.Police999, Agency.Ambulance999];
    private static readonly Agency[] NonEmergencyAgencies = [Agency.ChildrensSocialCare, Agency.AdultSocialCare, Agency.Police101, Agency.Lado];
    private static readonly Agency[] ChildAgencies = [Agency.ChildrensSocialCare, Agency.Police101];
    private static readonly Agency[] AdultAtRiskAgencies = [Agency.AdultSocialCare, Agency.Police101];
    private static readonly Agency[] LadoOnly = [Agency.Lado];
    private static readonly Agency[] LegacyPositionOfTrustAgencies = [Agency.Lado, Agency.Police101];
    private static readonly Agency[] MandatoryReportAgencies = [Agency.Police101, Agency.ChildrensSocialCare];

    /// <summary>Classifies a person (AGE-CHILD, AGE-UNKNOWN, ADULT-AT-RISK, ADULT-NOT-AT-RISK).</summary>
    public static (PersonClassification Classification, string RuleId) Classify(PersonAtRisk person)
    {
        var adult = IsAdult(person.Age);
        if (adult is null) return (PersonClassification.UnknownTreatedAsChild, RuleIds.AgeUnknown);
        if (adult == false) return (PersonClassification.Child, RuleIds.AgeChild);
        var atRisk = person.CareAndSupportNeeds == true
                     && person.ExperiencingOrAtRiskOfAbuseOrNeglect == true
                     && person.UnableToProtectSelf == true;
        return atRisk
            ? (PersonClassification.AdultAtRisk, RuleIds.AdultAtRisk)
            : (PersonClassification.AdultNotAtRisk, RuleIds.AdultNotAtRisk);
    }

    /// <summary>True for 18 and over, false under 18, null when unknown (AGE-UNKNOWN).</summary>
    public static bool? IsAdult(Age age) => age switch
    {
        { Years: { } years } => years >= 18,
        { Band: AgeBand.Under13 or AgeBand.Age13To15 or AgeBand.Age16To17 } => false,
        { Band: AgeBand.Age18To24 or AgeBand.Age25Plus } => true,
        _ => null,
    };

    /// <summary>POLICY-VERSION: the policy a disclosure is judged under.</summary>
    public static PolicyVersion VersionOf(DisclosureRecorded disclosure, PolicyOptions options) =>
        disclosure.DisclosedAt >= options.UnifiedPolicyEffectiveFrom ? PolicyVersion.Unified : PolicyVersion.Legacy;

    /// <summary>The policy decision for every person and route, with the obligations outstanding now.</summary>
    public static PolicyDecision Evaluate(CaseState state, PolicyOptions options, Instant now)
    {
        var persons = new PersonDecision[state.Persons.Length];
        for (var i = 0; i < persons.Length; i++)
        {
            var person = state.Persons[i];
            var (classification, classRule) = Classify(person);
            var assessment = LatestAssessmentCovering(state, person.Id);
            var emergency = DecideRoute(state, person, Route.Emergency, state.Disclosures.AsSpan(), assessment, options, now, UsableOverride(state, person.Id, Route.Emergency));
            var nonEmergency = DecideRoute(state, person, Route.NonEmergency, state.Disclosures.AsSpan(), assessment, options, now, UsableOverride(state, person.Id, Route.NonEmergency));
            persons[i] = new PersonDecision(person.Id, classification, classRule, emergency, nonEmergency);
        }

        var disclosures = new DisclosurePolicy[state.Disclosures.Length];
        for (var i = 0; i < disclosures.Length; i++)
        {
            var d = state.Disclosures[i];
            disclosures[i] = new DisclosurePolicy(d.DisclosureId, VersionOf(d, options), RuleIds.PolicyVersion);
        }

        return new PolicyDecision(now, persons, Obligations(state, options), disclosures);
    }

    /// <summary>The latest risk assessment that assesses the given person, if any.</summary>
    public static RiskAssessmentRecorded? LatestAssessmentCovering(CaseState state, string personId)
    {
        for (var i = state.RiskAssessments.Length - 1; i >= 0; i--)
        {
            var assessment = state.RiskAssessments[i];
            if (Assessed(assessment, personId) is not null) return assessment;
        }
        return null;
    }

    private static PersonAssessment? Assessed(RiskAssessmentRecorded? assessment, string personId)
    {
        if (assessment is null) return null;
        var assessments = assessment.Assessments;
        for (var i = 0; i < assessments.Count; i++)
        {
            if (assessments[i].PersonId == personId) return assessments[i];
        }
        return null;
    }

    private static OverrideRecord? UsableOverride(CaseState state, string personId, Route route)
    {
        foreach (var o in state.Overrides)
        {
            if (o.IsUsable && o.Request.PersonId == personId && o.Request.Route == route) return o;
        }
        return null;
    }

    /// <summary>
    /// Decides one route for one person, judging only the given disclosures and the given assessment.
    /// Evaluate passes every disclosure and the latest assessment; CheckEscalation passes what the escalation cites.
    /// </summary>
    internal static RouteDecision DecideRoute(
        CaseState state,
        PersonAtRisk person,
        Route route,
        ReadOnlySpan<DisclosureRecorded> disclosures,
        RiskAssessmentRecorded? assessment,
        PolicyOptions options,
        Instant now,
        OverrideRecord? usableOverride)
    {
        var findings = new Findings();
        if (route == Route.Emergency) DecideEmergency(state, person, disclosures, assessment, options, now, findings);
        else if (route == Route.NonEmergency) DecideNonEmergency(person, disclosures, assessment, options, now, findings);
        else throw new ArgumentOutOfRangeException(nameof(route), route, "Only Emergency and NonEmergency are escalation routes.");

        return findings.ToDecision(route, usableOverride);
    }

    private static void DecideEmergency(
        CaseState state, PersonAtRisk person, ReadOnlySpan<DisclosureRecorded> disclosures,
        RiskAssessmentRecorded? assessment, PolicyOptions options, Instant now, Findings f)
    {
        var anyConcern = false;
        var currentUnified = false;
        var currentLegacy = false;
        Instant? latestDisclosure = null;
        foreach (var d in disclosures)
        {
            var version = VersionOf(d, options);
            for (var ci = 0; ci < d.Concerns.Count; ci++)
            {
                var c = d.Concerns[ci];
                if (c.PersonId != person.Id) continue;
                anyConcern = true;
                latestDisclosure = Max(latestDisclosure, d.At);
                if (c.Status != ConcernStatus.Current) continue;
                if (version == PolicyVersion.Unified) currentUnified = true;
                else currentLegacy = true;
            }
        }

        f.OverrideAgencies = EmergencyAgencies;
        // CURRENT-INFO and CLINICIAN-DECIDES first: nothing, not even an override, lifts them.
        var pa = CheckCurrentInfo(person.Id, assessment, latestDisclosure, options.EmergencyRiskAssessmentValidFor, now, f);
        CheckRecommendation(pa, Route.Emergency, f);
        if (!anyConcern)
        {
            f.Refuse(RuleIds.EmergencyLife, "No disclosure raises a concern about this person.");
            return;
        }

        if (!currentUnified && !currentLegacy)
        {
            f.Refuse(RuleIds.HistoricalNotEmergency, "Every concern about this person is historical; a historical concern never supports an emergency escalation.");
            return;
        }

        var lifeRule = currentUnified ? RuleIds.EmergencyLife : RuleIds.LegacyLife;
        f.Version = currentUnified ? PolicyVersion.Unified : PolicyVersion.Legacy;
        if (pa is not null)
        {
            if (pa.ThreatToLife == ThreatToLife.Immediate) f.Ground(lifeRule, EmergencyAgencies);
            else f.Refuse(lifeRule, $"The clinician's assessment records threat to life as {pa.ThreatToLife}, not Immediate.");
        }

        var attempt = LatestSafetyPlanAttemptSince(state, latestDisclosure);
        switch (attempt)
        {
            case null:
                f.Refuse(RuleIds.SafetyPlanFirst, "No safety-plan attempt has been recorded since the latest disclosure.");
                break;
            case { Outcome: SafetyPlanOutcome.NotPossible or SafetyPlanOutcome.BrokeDown }:
                f.Met(RuleIds.SafetyPlanFirst);
                break;
            case { Outcome: SafetyPlanOutcome.NotAttempted } when attempt.By.HasRole(Roles.Clinician):
                f.Met(RuleIds.SafetyPlanFirst);
                break;
            case { Outcome: SafetyPlanOutcome.NotAttempted }:
                f.Refuse(RuleIds.SafetyPlanFirst, "A safety plan was not attempted, and no clinician recorded why none could be.");
                break;
            default:
                f.Refuse(RuleIds.SafetyPlanFirst, "A safety plan was agreed with the user.");
                break;
        }
    }

    private static void DecideNonEmergency(
        PersonAtRisk person, ReadOnlySpan<DisclosureRecorded> disclosures,
        RiskAssessmentRecorded? assessment, PolicyOptions options, Instant now, Findings f)
    {
        var (classification, classRule) = Classify(person);
        var childLike = classification is PersonClassification.Child or PersonClassification.UnknownTreatedAsChild;
        f.OverrideAgencies = NonEmergencyAgencies;

        bool anyUnified = false, anyLegacy = false, unifiedSafeguarding = false, unifiedPositionOfTrust = false,
            unifiedSexual = false, legacyPositionOfTrust = false;
        Instant? latestDisclosure = null;
        foreach (var d in disclosures)
        {
            var unified = VersionOf(d, options) == PolicyVersion.Unified;
            for (var ci = 0; ci < d.Concerns.Count; ci++)
            {
                var c = d.Concerns[ci];
                if (c.PersonId != person.Id) continue;
                latestDisclosure = Max(latestDisclosure, d.At);
                if (!unified)
                {
                    anyLegacy = true;
                    legacyPositionOfTrust |= c.Category == ConcernCategory.PositionOfTrust;
                    continue;
                }

                anyUnified = true;
                var current = c.Status == ConcernStatus.Current;
                unifiedSafeguarding |= current && IsSafeguardingCategory(c.Category);
                unifiedPositionOfTrust |= current && c.Category == ConcernCategory.PositionOfTrust;
                unifiedSexual |= c.Category == ConcernCategory.Sexual && !IsExemptPeerActivity(c, person);
            }
        }

        f.Version = anyUnified || !anyLegacy ? PolicyVersion.Unified : PolicyVersion.Legacy;
        // CURRENT-INFO and CLINICIAN-DECIDES first: nothing, not even an override, lifts them.
        var pa = CheckCurrentInfo(person.Id, assessment, latestDisclosure, options.RiskAssessmentValidFor, now, f);
        CheckRecommendation(pa, Route.NonEmergency, f);
        if (classification == PersonClassification.AdultNotAtRisk)
        {
            f.Refuse(RuleIds.AdultNoNonEmergency, "This person is an adult not at risk: only an emergency escalation is ever possible.");
            f.Refuse(classRule, "The three adult-at-risk tests are not all recorded as met.");
            return;
        }

        var safeguardingRule = childLike ? RuleIds.ChildSafeguarding : RuleIds.AdultAtRiskSafeguarding;
        var clinicianAcceptsSafeguarding = pa is null || AcceptsSafeguardingConcern(pa);
        var clinicianAcceptsPositionOfTrust = pa is null || pa.CurrentConcerns.Contains(ConcernCategory.PositionOfTrust);

        if (unifiedSafeguarding)
        {
            if (clinicianAcceptsSafeguarding) f.Ground(safeguardingRule, childLike ? ChildAgencies : AdultAtRiskAgencies);
            else f.RefuseGround(safeguardingRule, "The clinician's assessment does not accept a current safeguarding concern about this person.");
        }

        if (childLike && unifiedPositionOfTrust)
        {
            if (clinicianAcceptsPositionOfTrust) f.Ground(RuleIds.PositionOfTrust, LadoOnly);
            else f.RefuseGround(RuleIds.PositionOfTrust, "The clinician's assessment does not accept a current position-of-trust concern about this person.");
        }

        if (options.MandatoryReportingDuty && childLike && unifiedSexual)
        {
            f.Ground(RuleIds.MandatoryCsa, MandatoryReportAgencies);
            f.Required = true;
        }

        if (legacyPositionOfTrust)
        {
            f.Ground(RuleIds.LegacyPositionOfTrust, LegacyPositionOfTrustAgencies);
            if (!anyUnified) f.Version = PolicyVersion.Legacy;
        }

        if (!f.HasGrounds && !f.HasRefusals)
        {
            if (anyLegacy)
                f.Refuse(RuleIds.LegacyNothingElse, "Concerns disclosed before the unified policy took effect are kept confidential.");
            if (anyUnified || !anyLegacy)
                f.Refuse(safeguardingRule, anyUnified
                    ? "No current safeguarding concern (other than risk to life or self-harm alone) about this person."
                    : "No disclosure raises a concern about this person.");
        }

    }

    /// <summary>CLINICIAN-DECIDES: the clinician's assessment of the person recommends this route.</summary>
    private static void CheckRecommendation(PersonAssessment? pa, Route route, Findings f)
    {
        if (pa is null) return;
        if (pa.RecommendedRoute == route) f.Met(RuleIds.ClinicianDecides);
        else f.Block(RuleIds.ClinicianDecides, $"The clinician's assessment recommends {pa.RecommendedRoute}, not {route}.");
    }

    /// <summary>
    /// CURRENT-INFO: the assessment must cover the person, be made after the latest disclosure relied on,
    /// and be no older than allowed. Returns the person's assessment when it exists.
    /// </summary>
    private static PersonAssessment? CheckCurrentInfo(
        string personId, RiskAssessmentRecorded? assessment, Instant? latestDisclosure, Duration validFor, Instant now, Findings f)
    {
        var pa = Assessed(assessment, personId);
        if (assessment is null || pa is null)
        {
            f.Block(RuleIds.CurrentInfo, "Record a new risk assessment: no clinician has assessed this person.");
            return null;
        }

        if (latestDisclosure is { } latest && assessment.At < latest)
            f.Block(RuleIds.CurrentInfo, "Record a new risk assessment: the latest one was made before the latest disclosure.");
        else if (now - assessment.At > validFor)
            f.Block(RuleIds.CurrentInfo, $"Record a new risk assessment: the latest one is older than {FormatDuration(validFor)}.");
        else
            f.Met(RuleIds.CurrentInfo);
        return pa;
    }

    private static SafetyPlanAttemptRecorded? LatestSafetyPlanAttemptSince(CaseState state, Instant? since)
    {
        if (state.SafetyPlanAttempts.IsEmpty) return null;
        var attempt = state.SafetyPlanAttempts[^1];
        return since is null || attempt.At >= since ? attempt : null;
    }

    /// <summary>CHILD-SAFEGUARDING: any category but risk to life and self-harm alone is a safeguarding concern.</summary>
    public static bool IsSafeguardingCategory(ConcernCategory category) =>
        category is not (ConcernCategory.RiskToLife or ConcernCategory.SelfHarm);

    private static bool AcceptsSafeguardingConcern(PersonAssessment pa)
    {
        var concerns = pa.CurrentConcerns;
        for (var i = 0; i < concerns.Count; i++)
        {
            if (IsSafeguardingCategory(concerns[i])) return true;
        }
        return false;
    }

    /// <summary>MANDATORY-CSA exemption: consensual activity between two people aged 13 to 17 of similar age.</summary>
    public static bool IsExemptPeerActivity(Concern concern, PersonAtRisk person) =>
        concern.ConsensualPeerActivity && person.Age switch
        {
            { Years: { } years } => years is >= 13 and <= 17,
            { Band: AgeBand.Age13To15 or AgeBand.Age16To17 } => true,
            _ => false,
        };

    /// <summary>The obligations outstanding in a case; a pure function of the state and the options.</summary>
    public static IReadOnlyList<Obligation> Obligations(CaseState state, PolicyOptions options)
    {
        var obligations = new List<Obligation>();
        foreach (var person in state.Persons)
        {
            var latest = LatestDisclosureAbout(state, person.Id);
            var assessment = LatestAssessmentCovering(state, person.Id);
            AddRiskAssessmentNeeded(person, latest, assessment, obligations);
            AddSafetyPlanFirst(state, person, latest, assessment, obligations);
            if (PendingRequiredReport(state, person, options) is { } report)
                obligations.Add(new Obligation(ObligationType.ReportDue, RuleIds.MandatoryCsa, report.DueBy, person.Id, null));
        }

        foreach (var escalation in state.Escalations)
        {
            if (escalation.NoticeOutstanding)
            {
                obligations.Add(new Obligation(ObligationType.TransparencyNoticeDue, RuleIds.Transparency,
                    escalation.Made.At + options.TransparencyNoticeDue, escalation.Made.PersonId, escalation.Made.EscalationId));
            }
        }

        AddNoEscalationDecisionDue(state, obligations);
        return obligations;
    }

    private static void AddRiskAssessmentNeeded(PersonAtRisk person, DisclosureRecorded? latest, RiskAssessmentRecorded? assessment, List<Obligation> obligations)
    {
        if (latest is null) return;
        if (assessment is null || assessment.At < latest.At)
            obligations.Add(new Obligation(ObligationType.RiskAssessmentNeeded, RuleIds.CurrentInfo, latest.At, person.Id, null));
    }

    private static void AddSafetyPlanFirst(CaseState state, PersonAtRisk person, DisclosureRecorded? latest, RiskAssessmentRecorded? assessment, List<Obligation> obligations)
    {
        if (assessment is null || Assessed(assessment, person.Id) is not { ThreatToLife: ThreatToLife.Immediate }) return;
        foreach (var e in state.Escalations)
        {
            if (e.Made.PersonId == person.Id && e.Made.Route == Route.Emergency && e.Made.At >= assessment.At) return;
        }
        if (LatestSafetyPlanAttemptSince(state, latest?.At) is null)
            obligations.Add(new Obligation(ObligationType.SafetyPlanFirst, RuleIds.SafetyPlanFirst, assessment.At, person.Id, null));
    }

    /// <summary>The latest disclosure raising a concern about the person (disclosures are kept in the order recorded).</summary>
    private static DisclosureRecorded? LatestDisclosureAbout(CaseState state, string personId)
    {
        for (var i = state.Disclosures.Length - 1; i >= 0; i--)
        {
            var d = state.Disclosures[i];
            for (var ci = 0; ci < d.Concerns.Count; ci++)
            {
                if (d.Concerns[ci].PersonId == personId) return d;
            }
        }
        return null;
    }

    /// <summary>A MANDATORY-CSA report owed for a person: the original due instant and the one in force after delays.</summary>
    public sealed record RequiredReport(Instant OriginalDueBy, Instant DueBy);

    /// <summary>The MANDATORY-CSA report outstanding for a person, if any.</summary>
    public static RequiredReport? PendingRequiredReport(CaseState state, PersonAtRisk person, PolicyOptions options)
    {
        if (!options.MandatoryReportingDuty) return null;
        var (classification, _) = Classify(person);
        if (classification is not (PersonClassification.Child or PersonClassification.UnknownTreatedAsChild)) return null;

        Instant? lastReport = null;
        foreach (var e in state.Escalations)
        {
            var m = e.Made;
            if (m.PersonId == person.Id && m.Route == Route.NonEmergency && Array.IndexOf(MandatoryReportAgencies, m.Agency) >= 0)
                lastReport = Max(lastReport, m.At);
        }

        Instant? earliestPending = null;
        foreach (var d in state.Disclosures)
        {
            if (lastReport is { } reported && d.At <= reported) continue;
            if (VersionOf(d, options) != PolicyVersion.Unified) continue;
            for (var ci = 0; ci < d.Concerns.Count; ci++)
            {
                var c = d.Concerns[ci];
                if (c.PersonId == person.Id && c.Category == ConcernCategory.Sexual && !IsExemptPeerActivity(c, person))
                    earliestPending = earliestPending is { } p && p <= d.DisclosedAt ? p : d.DisclosedAt;
            }
        }
        if (earliestPending is not { } pending) return null;

        var original = pending + options.MandatoryReportDue;
        var due = original;
        foreach (var delay in state.ReportDelays)
        {
            if (delay.PersonId == person.Id && (lastReport is null || delay.At > lastReport)) due = delay.Until;
        }
        return new RequiredReport(original, due);
    }

    private static void AddNoEscalationDecisionDue(CaseState state, List<Obligation> obligations)
    {
        if (state.RiskAssessments.IsEmpty) return;
        var latest = state.RiskAssessments[^1];
        for (var ai = 0; ai < latest.Assessments.Count; ai++)
        {
            var pa = latest.Assessments[ai];
            if (pa.RecommendedRoute != Route.None) return;
        }

        var hadConcerns = false;
        foreach (var d in state.Disclosures)
        {
            if (d.At <= latest.At && d.Concerns.Count > 0) { hadConcerns = true; break; }
        }
        for (var ai = 0; ai < latest.Assessments.Count; ai++)
        {
            var pa = latest.Assessments[ai];
            hadConcerns |= pa.CurrentConcerns.Count > 0 || pa.ThreatToLife != ThreatToLife.None;
        }
        if (!hadConcerns) return;

        foreach (var n in state.NoEscalationDecisions)
        {
            if (n.At >= latest.At) return;
        }
        foreach (var e in state.Escalations)
        {
            if (e.Made.At >= latest.At) return;
        }
        obligations.Add(new Obligation(ObligationType.NoEscalationDecisionDue, RuleIds.RecordNoEscalation, latest.At, null, null));
    }

    private static Instant Max(Instant? a, Instant b) => a is { } x && x > b ? x : b;

    private static string FormatDuration(Duration d) =>
        d.TotalHours >= 1 && d.Minutes == 0 && d.Seconds == 0 ? $"{(long)d.TotalHours} h" : d.ToString("H:mm:ss", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// What the checks of one route found. Rule lists are built in place, in the order they are reported:
    /// grounds (substantive rules that permit, with their agencies) then rules met; refusals (which an override may
    /// lift) then blockers (CURRENT-INFO, CLINICIAN-DECIDES, which nothing lifts). Refusals of a single ground
    /// matter only when no ground holds. Lists are allocated only when used: Evaluate runs on every read of a case.
    /// </summary>
    private sealed class Findings
    {
        private List<string>? decided;
        private int groundCount;
        private List<string>? refusing;
        private int refusalCount;
        private List<string>? groundRefusals;
        private List<string>? reasons;
        private IReadOnlyList<Agency>? agencies;
        private bool agenciesOwned;

        public IReadOnlyList<Agency> OverrideAgencies { get; set; } = [];
        public bool Required { get; set; }
        public PolicyVersion Version { get; set; } = PolicyVersion.Unified;
        public bool HasGrounds => groundCount > 0;
        public bool HasRefusals => refusalCount > 0 || groundRefusals is { Count: > 0 };
        private bool HasBlockers => refusing is not null && refusing.Count > refusalCount;

        public void Ground(string rule, Agency[] forAgencies)
        {
            if (!Contains(decided, rule)) (decided ??= new(4)).Insert(groundCount++, rule);
            if (agencies is null)
            {
                agencies = forAgencies;
                return;
            }
            if (!agenciesOwned)
            {
                agencies = new List<Agency>(agencies);
                agenciesOwned = true;
            }
            var owned = (List<Agency>)agencies;
            for (var i = 0; i < forAgencies.Length; i++)
            {
                if (!owned.Contains(forAgencies[i])) owned.Add(forAgencies[i]);
            }
        }

        public void Met(string rule)
        {
            if (!Contains(decided, rule)) (decided ??= new(4)).Add(rule);
        }

        public void Refuse(string rule, string reason)
        {
            if (!Contains(refusing, rule)) (refusing ??= new(4)).Insert(refusalCount++, rule);
            (reasons ??= new(2)).Add(reason);
        }

        public void RefuseGround(string rule, string reason)
        {
            if (!Contains(groundRefusals, rule)) (groundRefusals ??= new(2)).Add(rule);
            (reasons ??= new(2)).Add(reason);
        }

        public void Block(string rule, string reason)
        {
            if (!Contains(refusing, rule)) (refusing ??= new(4)).Add(rule);
            (reasons ??= new(2)).Add(reason);
        }

        public RouteDecision ToDecision(Route route, OverrideRecord? usableOverride)
        {
            IReadOnlyList<string> reasonList = reasons ?? (IReadOnlyList<string>)[];
            if (!HasGrounds && groundRefusals is not null)
            {
                // A ground the clinician did not accept refuses only when no other ground holds.
                foreach (var rule in groundRefusals)
                {
                    if (!Contains(refusing, rule)) (refusing ??= new(4)).Insert(refusalCount++, rule);
                }
            }

            if (Required)
            {
                // MANDATORY-CSA: the duty stands whatever else is found; what blocks carrying it out is reported as unmet.
                return new RouteDecision(route, RouteStatus.Required, decided!, refusing ?? (IReadOnlyList<string>)[], agencies ?? [], reasonList, Version);
            }

            if (refusing is null && HasGrounds)
                return new RouteDecision(route, RouteStatus.Permitted, decided!, [], agencies!, reasonList, Version);

            if (!HasBlockers && refusalCount > 0 && usableOverride is not null)
            {
                // OVERRIDE: two leads approved departing from the refusals found; the override is cited first.
                var cited = new List<string>(1 + refusalCount) { RuleIds.Override };
                cited.AddRange(refusing!);
                return new RouteDecision(route, RouteStatus.Permitted, cited, [], OverrideAgencies, reasonList, Version);
            }

            return new RouteDecision(route, RouteStatus.NotPermitted, refusing ?? (IReadOnlyList<string>)[], [], [], reasonList, Version);
        }

        private static bool Contains(List<string>? list, string rule) => list is not null && list.Contains(rule);
    }
}
