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

public static partial class PolicyEngine
{
    /// <summary>
    /// Checks one escalation against the policy, judging only the disclosures it relies on and the assessment it
    /// cites. A refusal lists every rule ID that refuses it.
    /// </summary>
    public static EscalationCheck CheckEscalation(CaseState state, EscalationRequest request, PolicyOptions options, Instant now)
    {
        var person = state.FindPerson(request.PersonId);
        if (person is null) return new EscalationCheck(null, Refusal.PersonNotFound(request.PersonId));
        var assessment = state.FindRiskAssessment(request.RiskAssessmentId);
        if (assessment is null) return NotFound($"Risk assessment {request.RiskAssessmentId} is not in this case.");
        var disclosures = new DisclosureRecorded[request.ReliesOn.Count];
        for (var i = 0; i < disclosures.Length; i++)
        {
            var found = state.FindDisclosure(request.ReliesOn[i]);
            if (found is null) return NotFound($"Disclosure {request.ReliesOn[i]} is not in this case.");
            disclosures[i] = found;
        }
        OverrideRecord? overrideRecord = null;
        if (request.OverrideId is { } overrideId)
        {
            overrideRecord = state.FindOverride(overrideId);
            if (overrideRecord is null) return NotFound($"Override {overrideId} is not in this case.");
        }

        var refusing = new List<string>();
        var reasons = new List<string>();
        void Refuse(string rule, string reason)
        {
            if (!refusing.Contains(rule)) refusing.Add(rule);
            reasons.Add(reason);
        }

        if (request.Route is not (Route.Emergency or Route.NonEmergency))
        {
            Refuse(RuleIds.ClinicianDecides, "An escalation's route is Emergency or NonEmergency.");
            return Refused(refusing, reasons);
        }

        if (disclosures.Length == 0)
            Refuse(RuleIds.CurrentInfo, "An escalation must name the disclosures it relies on.");

        if (Assessed(assessment, person.Id) is null)
            Refuse(RuleIds.ClinicianDecides, "The cited risk assessment does not assess this person.");
        else if (LatestAssessmentCovering(state, person.Id) is { } latest && latest.RiskAssessmentId != assessment.RiskAssessmentId)
            Refuse(RuleIds.CurrentInfo, "A newer risk assessment of this person exists; cite the latest one.");

        OverrideRecord? validOverride = null;
        if (overrideRecord is not null)
        {
            if (overrideRecord.Request.Route != request.Route || overrideRecord.Request.PersonId != person.Id)
                Refuse(RuleIds.Override, "The override was approved for another route or person.");
            else if (!overrideRecord.IsApproved)
                Refuse(RuleIds.Override, $"The override needs approvals from {OverrideRecord.ApprovalsNeeded} different safeguarding leads.");
            else if (overrideRecord.UsedByEscalation is not null)
                Refuse(RuleIds.Override, "The override has already served an escalation.");
            else
                validOverride = overrideRecord;
        }

        var decision = DecideRoute(state, person, request.Route, disclosures, assessment, options, now, validOverride);
        foreach (var r in decision.Status == RouteStatus.NotPermitted ? decision.RuleIds : decision.Unmet)
        {
            if (!refusing.Contains(r)) refusing.Add(r);
        }
        if (decision.Status == RouteStatus.NotPermitted || decision.Unmet.Count > 0) reasons.AddRange(decision.Reasons);

        if (decision.Status != RouteStatus.NotPermitted && !decision.Agencies.Contains(request.Agency))
        {
            foreach (var rule in AgencyRules(request.Agency, request.Route)) Refuse(rule, $"{request.Agency} is not an agency this escalation may go to; permitted: {string.Join(", ", decision.Agencies)}.");
        }

        if (request.InformationShared.Count == 0)
            Refuse(RuleIds.MinimumNecessary, "Record exactly which data were shared.");
        else if (request.InformationShared.Distinct().Count() != request.InformationShared.Count)
            Refuse(RuleIds.MinimumNecessary, "Each item of data shared is listed once.");

        if (refusing.Count > 0) return Refused(refusing, reasons);

        var (classification, _) = Classify(person);
        return new EscalationCheck(new EscalationDecision(decision.PolicyVersion, classification, decision.RuleIds, options), null);
    }

    /// <summary>The rules that decide whether an agency fits a route.</summary>
    private static string[] AgencyRules(Agency agency, Route route) => (agency, route) switch
    {
        (Agency.Police999 or Agency.Ambulance999, _) or (_, Route.Emergency) => [RuleIds.EmergencyLife],
        (Agency.ChildrensSocialCare, _) => [RuleIds.ChildSafeguarding],
        (Agency.AdultSocialCare, _) => [RuleIds.AdultAtRiskSafeguarding],
        (Agency.Lado, _) => [RuleIds.PositionOfTrust],
        _ => [RuleIds.ChildSafeguarding, RuleIds.AdultAtRiskSafeguarding],
    };

    private static EscalationCheck NotFound(string detail) => new(null, Refusal.NotFound(detail));

    private static EscalationCheck Refused(List<string> rules, List<string> reasons) =>
        new(null, Refusal.Policy("The policy does not permit this escalation", rules, reasons));

    /// <summary>CLOSE-OBLIGATIONS: a case cannot close while a transparency notice or a required report is outstanding.</summary>
    public static Refusal? CheckClose(CaseState state, PolicyOptions options)
    {
        var owed = new List<string>();
        foreach (var o in Obligations(state, options))
        {
            if (o.Type == ObligationType.TransparencyNoticeDue)
                owed.Add($"A transparency notice for escalation {o.EscalationId} is due by {o.DueBy}.");
            else if (o.Type == ObligationType.ReportDue)
                owed.Add($"A required report for {o.PersonId} is due by {o.DueBy}.");
        }
        return owed.Count == 0 ? null : Refusal.Policy("The case has outstanding obligations", [RuleIds.CloseObligations], owed);
    }

    /// <summary>TRANSPARENCY-WITHHELD: only a clinician may withhold a notice, for an escalation whose notice is still owed.</summary>
    public static Refusal? CheckWithhold(CaseState state, Guid escalationId, Actor actor)
    {
        var escalation = state.FindEscalation(escalationId);
        if (escalation is null) return Refusal.NotFound($"Escalation {escalationId} is not in this case.");
        if (!escalation.NoticeOutstanding) return Refusal.Conflict("The transparency notice for this escalation was already sent or withheld.", RuleIds.TransparencyWithheld);
        if (!actor.HasRole(Roles.Clinician))
            return Refusal.Policy("Only a clinician may withhold a transparency notice", [RuleIds.TransparencyWithheld], ["Only a clinician may withhold a transparency notice."]);
        return null;
    }

    /// <summary>MANDATORY-CSA: a clinician may delay a required report by at most seven days beyond when it was due.</summary>
    public static Refusal? CheckReportDelay(CaseState state, string personId, Instant until, PolicyOptions options, Instant now)
    {
        var person = state.FindPerson(personId);
        if (person is null) return Refusal.PersonNotFound(personId);
        var report = PendingRequiredReport(state, person, options);
        if (report is null)
            return Refusal.Policy("No required report to delay", [RuleIds.MandatoryCsa], ["No MANDATORY-CSA report is outstanding for this person."]);
        var latest = report.OriginalDueBy + PolicyOptions.MaximumReportDelay;
        if (until <= now)
            return Refusal.Policy("A delay must end in the future", [RuleIds.MandatoryCsa], ["The delay must end after now."]);
        if (until > latest)
            return Refusal.Policy("A required report may be delayed by at most 7 days", [RuleIds.MandatoryCsa], [$"The report was due by {report.OriginalDueBy}; it may be delayed until {latest} at the latest."]);
        return null;
    }
}
