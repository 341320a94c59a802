using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>What an escalation asks for, as the officer submits it.</summary>
public sealed record EscalationRequest(
    Route Route,
    Agency Agency,
    string PersonId,
    Guid RiskAssessmentId,
    IReadOnlyList<Guid> ReliesOn,
    IReadOnlyList<InformationShared> InformationShared,
    Guid? OverrideId);

/// <summary>The answer to an escalation: the decision to store with it, or the refusal.</summary>
public sealed record EscalationCheck(EscalationDecision? Decision, Refusal? Refusal);

/// <summary>
/// POLICY.md as a pure function of the case state, the policy options and the current instant: it answers
/// <c>GET .../policy</c> (<see cref="Evaluate"/>), checks an escalation (<see cref="CheckEscalation"/>) and re-checks past
/// escalations for auditors. The rules live in <see cref="Rules"/>, one function per rule ID, in files that follow
/// POLICY.md's sections; this class only gathers the facts and combines the findings (<see cref="Combine"/>).
/// </summary>
public static class PolicyEngine
{
    /// <summary>The policy decision for every person and route, with the obligations outstanding now.</summary>
    public static PolicyDecision Evaluate(CaseState state, PolicyOptions options, Instant now)
    {
        var persons = new List<PersonDecision>(state.Persons.Length);
        foreach (var person in state.Persons)
        {
            var p = Facts(state, person, options, now);
            var about = new List<DisclosureFacts>(state.Disclosures.Length);
            foreach (var d in state.Disclosures)
            {
                if (DisclosureFacts.IsAbout(d, person.Id)) about.Add(DisclosureFacts.For(d, person, options));
            }
            var (classification, rule) = p.ClassifiedNow;
            persons.Add(new PersonDecision(person.Id, classification, rule,
                Decide(p, Route.Emergency, about, p.LatestAssessment, reliedOn: false, Rules.UsableOverride(state, person.Id, Route.Emergency)),
                Decide(p, Route.NonEmergency, about, p.LatestAssessment, reliedOn: false, Rules.UsableOverride(state, person.Id, Route.NonEmergency))));
        }
        return new PolicyDecision(now, persons, Obligations(state, options), Disclosures(state, options));
    }

    /// <summary>Each disclosure's policy version and how each person it concerns was classified when it was made.</summary>
    public static IReadOnlyList<DisclosurePolicy> Disclosures(CaseState state, PolicyOptions options) =>
    [
        .. state.Disclosures.Select(d => new DisclosurePolicy(d.DisclosureId, Rules.VersionOf(d, options), RuleIds.PolicyVersion,
            PersonsAt(state, d))),
    ];

    private static List<PersonAtDisclosure> PersonsAt(CaseState state, DisclosureRecorded d)
    {
        var persons = new List<PersonAtDisclosure>(d.Concerns.Count);
        foreach (var concern in d.Concerns)
        {
            if (persons.Exists(p => p.PersonId == concern.PersonId) || state.FindPerson(concern.PersonId) is not { } person) continue;
            var (classification, rule) = Rules.Classify(person, d.DisclosedAt);
            persons.Add(new PersonAtDisclosure(person.Id, classification, rule));
        }
        return persons;
    }

    /// <summary>
    /// Checks one escalation, judging exactly the disclosures it relies on and the assessment it cites. A refusal lists
    /// every rule ID that refuses it; a repeat of an escalation already made is a conflict (NO-DUPLICATE-ESCALATION).
    /// </summary>
    public static EscalationCheck CheckEscalation(CaseState state, EscalationRequest request, PolicyOptions options, Instant now)
    {
        var person = state.FindPerson(request.PersonId);
        if (person is null) return new EscalationCheck(null, Refusal.PersonNotFound(request.PersonId));
        var assessment = state.FindRiskAssessment(request.RiskAssessmentId);
        if (assessment is null) return NotFound($"Risk assessment {request.RiskAssessmentId} is not in this case.");
        var reliedOn = new List<DisclosureFacts>(request.ReliesOn.Count);
        foreach (var id in request.ReliesOn)
        {
            if (state.FindDisclosure(id) is not { } d) return NotFound($"Disclosure {id} is not in this case.");
            reliedOn.Add(DisclosureFacts.For(d, person, options));
        }
        OverrideRecord? overrideRecord = null;
        if (request.OverrideId is { } overrideId && (overrideRecord = state.FindOverride(overrideId)) is null)
            return NotFound($"Override {overrideId} is not in this case.");
        if (request.Route is not (Route.Emergency or Route.NonEmergency))
            return new EscalationCheck(null, Refusal.Policy("The policy does not permit this escalation", [RuleIds.ClinicianDecides],
                ["An escalation's route is Emergency or NonEmergency."]));
        if (Rules.NoDuplicateEscalation(state, request) is { } duplicate) return new EscalationCheck(null, duplicate);

        var p = Facts(state, person, options, now);
        var findings = new List<Finding>();
        if (reliedOn.Count == 0) findings.Add(Finding.Blocks(RuleIds.CurrentInfo, "An escalation must name the disclosures it relies on."));
        if (p.AssessmentIn(assessment) is null)
            findings.Add(Finding.Blocks(RuleIds.ClinicianDecides, "The cited risk assessment does not assess this person."));
        var overrideProblem = overrideRecord is null ? null : Rules.Override(overrideRecord, person.Id, request.Route);
        if (overrideProblem is not null) findings.Add(overrideProblem);
        if (Rules.MinimumNecessary(request.InformationShared) is { } shared) findings.Add(shared);

        var usable = overrideRecord is not null && overrideProblem is null ? overrideRecord : null;
        var decision = Decide(p, request.Route, reliedOn, assessment, reliedOn: true, usable);
        var (rules, reasons) = (findings.Select(f => f.RuleId).ToList(), findings.Select(f => f.Reason).ToList());
        if (decision.Status == RouteStatus.NotPermitted || decision.Unmet.Count > 0)
        {
            rules.AddRange(decision.Status == RouteStatus.NotPermitted ? decision.RuleIds : decision.Unmet);
            reasons.AddRange(decision.Reasons);
        }
        else if (!decision.Agencies.Contains(request.Agency))
        {
            rules.AddRange(Rules.WrongAgency(request.Agency, request.Route, decision, restsOnLegacy: reliedOn.Exists(d => d.IsLegacy)));
            reasons.Add($"{request.Agency} is not an agency this escalation may go to; permitted: {string.Join(", ", decision.Agencies)}.");
        }
        if (rules.Count > 0)
            return new EscalationCheck(null, Refusal.Policy("The policy does not permit this escalation", [.. rules.Distinct()], [.. reasons.Distinct()]));

        var (classification, _) = p.ClassifiedNow;
        return new EscalationCheck(new EscalationDecision(decision.PolicyVersion, classification, decision.RuleIds, options), null);
    }

    /// <summary>
    /// Decides one route for one person from the disclosures judged (the ones an escalation relies on; for the policy
    /// read, every disclosure about the person) and the assessment. Each disclosure is judged on its own, under its own
    /// version and with the person's age at its time; an escalation needs every disclosure it relies on to support it
    /// (POLICY-VERSION), while the policy read considers the ones that could be relied on.
    /// </summary>
    public static RouteDecision Decide(PersonFacts p, Route route, IReadOnlyList<DisclosureFacts> disclosures,
        RiskAssessmentRecorded? assessment, bool reliedOn, OverrideRecord? usableOverride)
    {
        var pa = p.AssessmentIn(assessment);
        var judgedEach = new List<(DisclosureFacts Disclosure, List<Finding> Findings, bool Supports)>(disclosures.Count);
        foreach (var d in disclosures)
        {
            var f = DisclosureFindings(p, route, d, pa);
            judgedEach.Add((d, f, Supports(f)));
        }
        var judged = reliedOn || !judgedEach.Exists(j => j.Supports) ? judgedEach : judgedEach.FindAll(j => j.Supports);
        var anyUnified = judged.Exists(j => !j.Disclosure.IsLegacy);

        var findings = new List<Finding>();
        List<Agency>? agencies = null;
        foreach (var (d, f, supports) in judged)
        {
            if (supports)
            {
                findings.AddRange(f);
                agencies = Accumulate(agencies, f, intersect: reliedOn);
                continue;
            }
            // A disclosure relied on that does not support the escalation refuses it, whatever the others say.
            foreach (var x in f)
            {
                if (!x.IsGround && x.Effect != Effect.Met) findings.Add(reliedOn ? x with { Effect = Effect.Refuses } : x);
            }
            if (reliedOn && Rules.PolicyVersionRider(d, anyUnified) is { } rider) findings.Add(rider);
        }
        if (judged.Count == 0)
            findings.Add(Finding.NoGround(route == Route.Emergency ? RuleIds.EmergencyLife : NoDisclosureRule(p),
                "No disclosure raises a concern about this person."));

        findings.Add(Rules.CurrentInfo(p, route, assessment, judged.Select(j => j.Disclosure)));
        if (Rules.ClinicianDecides(pa, route) is { } decides) findings.Add(decides);
        if (route == Route.Emergency)
            findings.Add(Rules.SafetyPlanFirst(p.State, judged.Count == 0 ? null : judged.Max(j => j.Disclosure.Disclosure.At)));

        var version = anyUnified || judged.Count == 0 ? PolicyVersion.Unified : PolicyVersion.Legacy;
        return Combine(route, findings, agencies ?? [], version, judged.Any(j => j.Disclosure.IsLegacy), usableOverride);
    }

    /// <summary>
    /// The one place findings become an answer. Grounds permit (MANDATORY-CSA requires); a ground that does not hold
    /// refuses only when no other ground holds; rules that refuse refuse; an approved override lifts those refusals
    /// (OVERRIDE), never the blocks (CURRENT-INFO, CLINICIAN-DECIDES). A required route stays required whatever
    /// blocks carrying it out, which is reported as unmet. A refusal resting on a legacy disclosure cites
    /// LEGACY-NOTHING-ELSE.
    /// </summary>
    public static RouteDecision Combine(Route route, IReadOnlyList<Finding> findings, IReadOnlyList<Agency> agencies,
        PolicyVersion version, bool restsOnLegacy, OverrideRecord? usableOverride)
    {
        List<Finding> grounds = [], refusals = [], noGrounds = [], blocks = [], met = [];
        foreach (var f in findings)
        {
            (f.Effect switch
            {
                Effect.Grounds or Effect.Requires => grounds,
                Effect.Refuses => refusals,
                Effect.NoGround => noGrounds,
                Effect.Blocks => blocks,
                _ => met,
            }).Add(f);
        }
        // A ground that does not hold refuses only when no other ground holds.
        if (grounds.Count == 0) refusals.AddRange(noGrounds);
        static IReadOnlyList<string> Ids(IEnumerable<Finding> fs) => Distinct(fs, f => f.RuleId);
        static IReadOnlyList<string> Why(IEnumerable<Finding> fs) => Distinct(fs, f => f.Reason);

        if (grounds.Any(g => g.Effect == Effect.Requires))
            return new RouteDecision(route, RouteStatus.Required, Ids(grounds.Concat(met)), Ids(refusals.Concat(blocks)), agencies,
                Why(grounds.Concat(refusals).Concat(blocks)), version);
        if (grounds.Count > 0 && refusals.Count == 0 && blocks.Count == 0)
            return new RouteDecision(route, RouteStatus.Permitted, Ids(grounds.Concat(met)), [], agencies, Why(grounds), version);
        if (refusals.Count > 0 && blocks.Count == 0 && usableOverride is not null)
            return new RouteDecision(route, RouteStatus.Permitted, [RuleIds.Override, .. Ids(refusals)], [], Agencies.Of(route),
                Why(refusals), version);

        var refused = refusals.Concat(blocks).ToList();
        if (restsOnLegacy && !refused.Any(f => f.RuleId == RuleIds.LegacyNothingElse)) refused.Add(Rules.LegacyNothingElse());
        return new RouteDecision(route, RouteStatus.NotPermitted, Ids(refused), [], [], Why(refused), version);
    }

    /// <summary>The outstanding obligations of a case: a pure function of the state and the options.</summary>
    public static IReadOnlyList<Obligation> Obligations(CaseState state, PolicyOptions options)
    {
        var obligations = new List<Obligation>();
        foreach (var person in state.Persons)
        {
            var latest = Rules.LatestAssessmentOf(state, person.Id);
            var reports = Rules.PendingReports(state, person, options);
            if (RiskAssessmentNeeded(state, person, latest, reports, options) is { } needed) obligations.Add(needed);
            if (SafetyPlanOwed(state, person, latest) is { } plan) obligations.Add(plan);
            obligations.AddRange(reports.Select(r =>
                new Obligation(ObligationType.ReportDue, RuleIds.MandatoryCsa, r.DueBy, person.Id, null, r.DisclosureId)));
        }
        obligations.AddRange(state.Escalations.Select(e => Rules.Transparency(e, options)).OfType<Obligation>());
        if (Rules.RecordNoEscalation(state) is { } owed) obligations.Add(owed);
        return obligations;
    }

    /// <summary>CLOSE-OBLIGATIONS, from the obligations outstanding.</summary>
    public static Refusal? CheckClose(CaseState state, PolicyOptions options) => Rules.CloseObligations(Obligations(state, options));

    /// <summary>
    /// CURRENT-INFO as an obligation: a person needs a new risk assessment when a disclosure about them was recorded
    /// after their latest one (or they have none), or when a required report rests on an assessment that is missing,
    /// older than the disclosure, or stops being current (then due when it expires).
    /// </summary>
    private static Obligation? RiskAssessmentNeeded(CaseState state, PersonAtRisk person, RiskAssessmentRecorded? latest,
        IReadOnlyList<Rules.RequiredReport> reports, PolicyOptions options)
    {
        var lastDisclosure = LastDisclosureAbout(state, person.Id);
        if (lastDisclosure is not null && (latest is null || latest.At < lastDisclosure.At))
            return new Obligation(ObligationType.RiskAssessmentNeeded, RuleIds.CurrentInfo, lastDisclosure.At, person.Id, null);
        if (reports.Count == 0) return null;
        if (latest is null) return new Obligation(ObligationType.RiskAssessmentNeeded, RuleIds.CurrentInfo, reports[0].RecordedAt, person.Id, null);
        return new Obligation(ObligationType.RiskAssessmentNeeded, RuleIds.CurrentInfo, latest.At + options.RiskAssessmentValidFor, person.Id, null);
    }

    /// <summary>SAFETY-PLAN-FIRST as an obligation: an immediate threat assessed and no attempt recorded since the latest disclosure.</summary>
    private static Obligation? SafetyPlanOwed(CaseState state, PersonAtRisk person, RiskAssessmentRecorded? latest)
    {
        if (latest?.Assessments.FirstOrDefault(a => a.PersonId == person.Id) is not { ThreatToLife: ThreatToLife.Immediate }) return null;
        if (state.Escalations.Any(e => e.Made.PersonId == person.Id && e.Made.Route == Route.Emergency && e.Made.At >= latest.At)) return null;
        var lastDisclosure = LastDisclosureAbout(state, person.Id);
        var attempted = !state.SafetyPlanAttempts.IsEmpty && (lastDisclosure is null || state.SafetyPlanAttempts[^1].At >= lastDisclosure.At);
        return attempted ? null : new Obligation(ObligationType.SafetyPlanFirst, RuleIds.SafetyPlanFirst, latest.At, person.Id, null);
    }

    private static DisclosureRecorded? LastDisclosureAbout(CaseState state, string personId)
    {
        for (var i = state.Disclosures.Length - 1; i >= 0; i--)
        {
            if (DisclosureFacts.IsAbout(state.Disclosures[i], personId)) return state.Disclosures[i];
        }
        return null;
    }

    private static PersonFacts Facts(CaseState state, PersonAtRisk person, PolicyOptions options, Instant now) =>
        new(state, person, Rules.LatestAssessmentOf(state, person.Id), options, now);

    /// <summary>Every rule that judges one disclosure for one route: section 3 and, for pre-merger disclosures, section 5.</summary>
    private static List<Finding> DisclosureFindings(PersonFacts p, Route route, DisclosureFacts d, PersonAssessment? pa)
    {
        if (route == Route.Emergency) return [Rules.EmergencyLife(d, pa)];
        var findings = new List<Finding>(4);
        if (d.IsLegacy)
        {
            // LEGACY-POSITION-OF-TRUST holds whatever the user's age, so it is judged before ADULT-NO-NON-EMERGENCY.
            var legacy = Rules.LegacyPositionOfTrust(p, d);
            if (legacy is { IsGround: true }) return [legacy];
            findings.AddRange(Rules.AdultNoNonEmergency(d));
            if (legacy is not null) findings.Add(legacy);
            findings.Add(Rules.LegacyNothingElse());
            return findings;
        }
        findings.AddRange(Rules.AdultNoNonEmergency(d));
        if (findings.Count > 0) return findings;
        foreach (var f in new[] { Rules.ChildSafeguarding(d, pa), Rules.AdultAtRiskSafeguarding(d, pa), Rules.PositionOfTrust(d, pa), Rules.MandatoryCsa(p, d) })
        {
            if (f is not null) findings.Add(f);
        }
        return findings;
    }

    /// <summary>A disclosure supports a route when a rule grounds it there and none refuses.</summary>
    private static bool Supports(List<Finding> findings) =>
        findings.Exists(f => f.IsGround) && !findings.Exists(f => f.Effect == Effect.Refuses);

    /// <summary>The agencies a disclosure's grounds send to, added to (or, for an escalation, intersected with) those so far.</summary>
    private static List<Agency> Accumulate(List<Agency>? sofar, List<Finding> findings, bool intersect)
    {
        var these = new List<Agency>(4);
        foreach (var f in findings)
        {
            if (!f.IsGround) continue;
            foreach (var a in f.Agencies!)
            {
                if (!these.Contains(a)) these.Add(a);
            }
        }
        if (sofar is null) return these;
        if (intersect)
        {
            sofar.RemoveAll(a => !these.Contains(a));
            return sofar;
        }
        foreach (var a in these)
        {
            if (!sofar.Contains(a)) sofar.Add(a);
        }
        return sofar;
    }

    private static List<string> Distinct(IEnumerable<Finding> findings, Func<Finding, string> pick)
    {
        var list = new List<string>(4);
        foreach (var f in findings)
        {
            var value = pick(f);
            if (value.Length > 0 && !list.Contains(value)) list.Add(value);
        }
        return list;
    }

    private static string NoDisclosureRule(PersonFacts p) => p.ClassifiedNow.Classification switch
    {
        PersonClassification.AdultAtRisk => RuleIds.AdultAtRiskSafeguarding,
        PersonClassification.AdultNotAtRisk => RuleIds.AdultNoNonEmergency,
        _ => RuleIds.ChildSafeguarding,
    };

    private static EscalationCheck NotFound(string detail) => new(null, Refusal.NotFound(detail));
}
