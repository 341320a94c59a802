using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>
/// POLICY.md section 3: what the unified policy permits. Rules about a disclosure take the person's classification at
/// that disclosure (<see cref="DisclosureFacts"/>) and the clinician's assessment of the person (may be null: then
/// CURRENT-INFO refuses, and the rule judges the disclosure alone).
/// </summary>
public static partial class Rules
{
    /// <summary>
    /// EMERGENCY-LIFE: an immediate threat to anyone's life permits an Emergency escalation, whatever the age group.
    /// The disclosure must raise a current concern about the person, and the clinician must record the threat as
    /// Immediate. A pre-merger disclosure is judged by LEGACY-LIFE instead.
    /// </summary>
    public static Finding EmergencyLife(DisclosureFacts d, PersonAssessment? pa)
    {
        if (d.IsLegacy) return LegacyLife(d, pa);
        if (d.Concerns.Count == 0) return NoConcern(RuleIds.EmergencyLife, d);
        if (!d.HasCurrent) return HistoricalNotEmergency(d);
        return ImmediateThreat(RuleIds.EmergencyLife, pa);
    }

    /// <summary>HISTORICAL-NOT-EMERGENCY: a concern recorded as historical never supports an Emergency escalation.</summary>
    public static Finding HistoricalNotEmergency(DisclosureFacts d) => HistoricalOnly;

    private static readonly Finding HistoricalOnly = Finding.Refuses(RuleIds.HistoricalNotEmergency,
        "Every concern the disclosure raises about this person is historical; a historical concern never supports an emergency escalation.");

    /// <summary>
    /// SAFETY-PLAN-FIRST: before an Emergency escalation the service tries to form a safety plan. Met by an attempt,
    /// recorded after the latest disclosure relied on, that was not possible or broke down, or that a clinician records
    /// was not attempted (with the reason). An agreed plan means the emergency is being handled without escalating.
    /// </summary>
    public static Finding SafetyPlanFirst(CaseState state, Instant? latestDisclosure)
    {
        var attempt = state.SafetyPlanAttempts.IsEmpty ? null : state.SafetyPlanAttempts[^1];
        if (attempt is null || (latestDisclosure is { } since && attempt.At < since))
            return Finding.Refuses(RuleIds.SafetyPlanFirst, "No safety-plan attempt has been recorded since the latest disclosure.");
        return attempt.Outcome switch
        {
            SafetyPlanOutcome.NotPossible or SafetyPlanOutcome.BrokeDown =>
                Finding.Met(RuleIds.SafetyPlanFirst, $"The safety-plan attempt was {attempt.Outcome}."),
            SafetyPlanOutcome.NotAttempted when attempt.By.HasRole(Roles.Clinician) =>
                Finding.Met(RuleIds.SafetyPlanFirst, "A clinician recorded why no safety plan could be attempted."),
            SafetyPlanOutcome.NotAttempted =>
                Finding.Refuses(RuleIds.SafetyPlanFirst, "A safety plan was not attempted, and no clinician recorded why none could be."),
            _ => Finding.Refuses(RuleIds.SafetyPlanFirst, "A safety plan was agreed with the user."),
        };
    }

    /// <summary>
    /// CHILD-SAFEGUARDING: a current safeguarding concern (any category but risk to life and self-harm alone) about a
    /// child at the disclosure permits a NonEmergency escalation to children's social care or police 101, when the
    /// clinician accepts a safeguarding concern as current (CLINICIAN-DECIDES).
    /// </summary>
    public static Finding? ChildSafeguarding(DisclosureFacts d, PersonAssessment? pa)
    {
        if (d.IsLegacy || !d.AboutChild) return null;
        return SafeguardingConcern(RuleIds.ChildSafeguarding, d, pa, "child");
    }

    /// <summary>
    /// ADULT-AT-RISK-SAFEGUARDING: a current safeguarding concern about an adult at risk permits a NonEmergency
    /// escalation to adult social care or police 101, when the clinician accepts it as current.
    /// </summary>
    public static Finding? AdultAtRiskSafeguarding(DisclosureFacts d, PersonAssessment? pa)
    {
        if (d.IsLegacy || d.Classification != PersonClassification.AdultAtRisk) return null;
        return SafeguardingConcern(RuleIds.AdultAtRiskSafeguarding, d, pa, "adult at risk");
    }

    /// <summary>
    /// ADULT-NO-NON-EMERGENCY: for an adult not at risk (at the disclosure) there is no NonEmergency escalation, ever,
    /// under either policy. Cited with ADULT-NOT-AT-RISK, the classification that decided it.
    /// </summary>
    public static IReadOnlyList<Finding> AdultNoNonEmergency(DisclosureFacts d) =>
        d.Classification == PersonClassification.AdultNotAtRisk ? AdultNotAtRiskRefusals : [];

    private static readonly Finding[] AdultNotAtRiskRefusals =
    [
        Finding.Refuses(RuleIds.AdultNoNonEmergency,
            "This person was an adult not at risk when the disclosure was made: only an emergency escalation is ever possible."),
        Finding.Refuses(RuleIds.AdultNotAtRisk, "The three adult-at-risk tests are not all recorded as met."),
    ];

    /// <summary>
    /// POSITION-OF-TRUST: an allegation that someone in a position of trust harmed, or may harm, a child permits a
    /// NonEmergency referral to the LADO when children may currently be at risk. The persons at risk are those
    /// children (a current PositionOfTrust concern about a child), whoever disclosed it; the clinician accepts it.
    /// </summary>
    public static Finding? PositionOfTrust(DisclosureFacts d, PersonAssessment? pa)
    {
        if (d.IsLegacy || !d.AboutChild) return null;
        if (!d.Concerns.Any(c => c.Category == ConcernCategory.PositionOfTrust && c.Status == ConcernStatus.Current)) return null;
        return pa is null || pa.CurrentConcerns.Contains(ConcernCategory.PositionOfTrust)
            ? Finding.Grounds(RuleIds.PositionOfTrust, Agencies.ByRule[RuleIds.PositionOfTrust],
                "A child may currently be at risk from someone in a position of trust.")
            : Finding.NoGround(RuleIds.PositionOfTrust, "The clinician's assessment does not accept a current position-of-trust concern about this person.");
    }

    /// <summary>
    /// MANDATORY-CSA: with the duty on, a Sexual concern (current or historical) about a person who was a child at a
    /// unified-policy disclosure makes a NonEmergency report to police 101 or children's social care required, due
    /// within <c>Policy:MandatoryReportDue</c> of <c>disclosedAt</c>. Only a report of that route, to one of those
    /// agencies, for that child, relying on that disclosure discharges it; once discharged, a further report is
    /// permitted, not required. A clinician's peer exemption (13 to 17, recorded in an assessment of the person made
    /// after the disclosure) lifts the duty; nobody else can.
    /// </summary>
    public static Finding? MandatoryCsa(PersonFacts p, DisclosureFacts d)
    {
        if (!p.Options.MandatoryReportingDuty || d.IsLegacy || !d.AboutChild) return null;
        if (!d.Concerns.Any(c => c.Category == ConcernCategory.Sexual)) return null;
        var agencies = Agencies.ByRule[RuleIds.MandatoryCsa];
        if (PeerExempt(p, d) is { } exemption)
            return Finding.Met(RuleIds.MandatoryCsa, $"A clinician recorded a peer exemption: {exemption.Reason}");
        return ReportMade(p.State, p.Person.Id, d.Disclosure.DisclosureId)
            ? Finding.Grounds(RuleIds.MandatoryCsa, agencies, "The required report for this disclosure has been made.")
            : Finding.Requires(RuleIds.MandatoryCsa, agencies, "A suspected sexual offence against a child must be reported.");
    }

    /// <summary>MANDATORY-CSA: the peer exemption in force for a disclosure, if the clinician recorded one after it.</summary>
    public static PeerExemption? PeerExempt(PersonFacts p, DisclosureFacts d) =>
        p.LatestAssessment is { } latest && latest.At >= d.Disclosure.At && p.AssessmentIn(latest)?.PeerExemption is { } exemption
        && AgedThirteenToSeventeen(p.Person.Age, d.Disclosure.DisclosedAt)
            ? exemption
            : null;

    /// <summary>MANDATORY-CSA: whether a report discharging the duty for this disclosure was made.</summary>
    public static bool ReportMade(CaseState state, string personId, Guid disclosureId) => state.Escalations.Any(e =>
        e.Made.PersonId == personId && e.Made.Route == Route.NonEmergency
        && Agencies.ByRule[RuleIds.MandatoryCsa].Contains(e.Made.Agency) && e.Made.ReliesOn.Contains(disclosureId));

    /// <summary>
    /// CLINICIAN-DECIDES: every escalation cites the clinician's assessment that recommends that route; an officer
    /// may carry it out, only a clinician decides it.
    /// </summary>
    public static Finding? ClinicianDecides(PersonAssessment? pa, Route route) => pa is null
        ? null
        : pa.RecommendedRoute == route
            ? Finding.Met(RuleIds.ClinicianDecides, $"The clinician's assessment recommends {route}.")
            : Finding.Blocks(RuleIds.ClinicianDecides, $"The clinician's assessment recommends {pa.RecommendedRoute}, not {route}.");

    /// <summary>
    /// MINIMUM-NECESSARY: an escalation records exactly which data were shared, from the closed list, each once.
    /// </summary>
    public static Finding? MinimumNecessary(IReadOnlyList<InformationShared> shared) =>
        shared.Count == 0 ? Finding.Refuses(RuleIds.MinimumNecessary, "Record exactly which data were shared.")
        : shared.Distinct().Count() != shared.Count ? Finding.Refuses(RuleIds.MinimumNecessary, "Each item of data shared is listed once.")
        : null;

    /// <summary>
    /// NO-DUPLICATE-ESCALATION: the same escalation (person, route, agency, risk assessment and disclosures) is made
    /// once; a second is refused (409) naming the first. A further one needs a new disclosure or assessment.
    /// </summary>
    public static Refusal? NoDuplicateEscalation(CaseState state, EscalationRequest request)
    {
        var same = state.Escalations.FirstOrDefault(e => e.Made.PersonId == request.PersonId && e.Made.Route == request.Route
            && e.Made.Agency == request.Agency && e.Made.RiskAssessmentId == request.RiskAssessmentId
            && e.Made.ReliesOn.ToHashSet().SetEquals(request.ReliesOn));
        return same is null
            ? null
            : Refusal.Conflict($"This escalation was already made as escalation {same.Made.EscalationId}; a further one needs a new disclosure or risk assessment.",
                RuleIds.NoDuplicateEscalation);
    }

    /// <summary>
    /// RECORD-NO-ESCALATION: a decision not to escalate, after a risk assessment with concerns, is recorded with its
    /// reasons; until it is (or an escalation follows that assessment), it is owed and the case cannot close.
    /// </summary>
    public static Obligation? RecordNoEscalation(CaseState state)
    {
        if (state.RiskAssessments.IsEmpty) return null;
        var latest = state.RiskAssessments[^1];
        if (latest.Assessments.Any(a => a.RecommendedRoute != Route.None)) return null;
        var hadConcerns = state.Disclosures.Any(d => d.At <= latest.At && d.Concerns.Count > 0)
                          || latest.Assessments.Any(a => a.CurrentConcerns.Count > 0 || a.ThreatToLife != ThreatToLife.None);
        if (!hadConcerns) return null;
        if (state.NoEscalationDecisions.Any(n => n.At >= latest.At) || state.Escalations.Any(e => e.Made.At >= latest.At)) return null;
        return new Obligation(ObligationType.NoEscalationDecisionDue, RuleIds.RecordNoEscalation, latest.At, null, null);
    }

    /// <summary>A decision not to escalate needs an assessment to follow (RECORD-NO-ESCALATION).</summary>
    public static Refusal? CheckNoEscalationDecision(CaseState state) => state.RiskAssessments.IsEmpty
        ? Refusal.Policy("A decision not to escalate follows a risk assessment", [RuleIds.RecordNoEscalation], ["Record a risk assessment first."])
        : null;

    /// <summary>CHILD-SAFEGUARDING: any category but risk to life and self-harm alone is a safeguarding concern.</summary>
    public static bool IsSafeguardingCategory(ConcernCategory category) =>
        category is not (ConcernCategory.RiskToLife or ConcernCategory.SelfHarm);

    private static Finding SafeguardingConcern(string rule, DisclosureFacts d, PersonAssessment? pa, string who)
    {
        if (!d.Concerns.Any(c => c.Status == ConcernStatus.Current && IsSafeguardingCategory(c.Category)))
            return Finding.NoGround(rule, d.Concerns.Count == 0
                ? $"Disclosure {d.Disclosure.DisclosureId} raises no concern about this person."
                : $"No current safeguarding concern (other than risk to life or self-harm alone) about this {who}.");
        return pa is null || pa.CurrentConcerns.Any(IsSafeguardingCategory)
            ? Finding.Grounds(rule, Agencies.ByRule[rule], $"A current safeguarding concern about this {who}.")
            : Finding.NoGround(rule, "The clinician's assessment does not accept a current safeguarding concern about this person.");
    }

    private static Finding ImmediateThreat(string rule, PersonAssessment? pa) => pa?.ThreatToLife switch
    {
        null => Finding.NoGround(rule, "No clinician has assessed the threat to this person's life."),
        ThreatToLife.Immediate => Finding.Grounds(rule, Agencies.Emergency, "The clinician records an immediate threat to life."),
        ThreatToLife.NotImmediate => Finding.NoGround(rule, "The clinician's assessment records threat to life as NotImmediate, not Immediate."),
        _ => Finding.NoGround(rule, "The clinician's assessment records no threat to life."),
    };

    private static Finding NoConcern(string rule, DisclosureFacts d) =>
        Finding.NoGround(rule, $"Disclosure {d.Disclosure.DisclosureId} raises no concern about this person.");
}
