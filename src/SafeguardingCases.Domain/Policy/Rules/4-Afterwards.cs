using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>POLICY.md section 4: what the service owes the user afterwards.</summary>
public static partial class Rules
{
    /// <summary>
    /// TRANSPARENCY: every escalation owes the user a notice (what was shared, with whom, why, what may happen next),
    /// due within <c>Policy:TransparencyNoticeDue</c>, until it is sent or withheld.
    /// </summary>
    public static Obligation? Transparency(EscalationRecord escalation, PolicyOptions options) => escalation.NoticeOutstanding
        ? new Obligation(ObligationType.TransparencyNoticeDue, RuleIds.Transparency,
            escalation.Made.At + options.TransparencyNoticeDue, escalation.Made.PersonId, escalation.Made.EscalationId)
        : null;

    /// <summary>
    /// TRANSPARENCY-WITHHELD: only a clinician may withhold the notice, for one of the listed reasons (the request's
    /// shape holds the reason), and only while it is still owed.
    /// </summary>
    public static Refusal? TransparencyWithheld(CaseState state, Guid escalationId, Actor actor)
    {
        var escalation = state.FindEscalation(escalationId);
        if (escalation is null) return Refusal.NotFound($"Escalation {escalationId} is not in this case.");
        if (!escalation.NoticeOutstanding)
            return Refusal.Conflict("The transparency notice for this escalation was already sent or withheld.", RuleIds.TransparencyWithheld);
        if (!actor.HasRole(Roles.Clinician))
            return Refusal.Policy("Only a clinician may withhold a transparency notice", [RuleIds.TransparencyWithheld], ["Only a clinician may withhold a transparency notice."]);
        return null;
    }

    /// <summary>
    /// CLOSE-OBLIGATIONS: a case cannot close while a transparency notice, a required report or a decision not to
    /// escalate (RECORD-NO-ESCALATION) is outstanding.
    /// </summary>
    public static Refusal? CloseObligations(IReadOnlyList<Obligation> obligations)
    {
        var owed = obligations.Select(o => o.Type switch
        {
            ObligationType.TransparencyNoticeDue => $"A transparency notice for escalation {o.EscalationId} is due by {o.DueBy}.",
            ObligationType.ReportDue => $"A required report for {o.PersonId} (disclosure {o.DisclosureId}) is due by {o.DueBy}.",
            ObligationType.NoEscalationDecisionDue => $"A decision not to escalate after the risk assessment of {o.DueBy} is owed.",
            _ => null,
        }).OfType<string>().ToList();
        return owed.Count == 0 ? null : Refusal.Policy("The case has outstanding obligations", [RuleIds.CloseObligations], owed);
    }

    /// <summary>
    /// AGENCY-FEEDBACK: an agency's response is recorded when it comes, also on a closed case (without reopening it);
    /// "no response" never blocks closing. Only the escalation must exist.
    /// </summary>
    public static Refusal? AgencyFeedback(CaseState state, Guid escalationId) => state.FindEscalation(escalationId) is null
        ? Refusal.NotFound($"Escalation {escalationId} is not in this case.")
        : null;

    /// <summary>MANDATORY-CSA: a clinician may delay a required report, with a reason, to at most 7 days after it was due.</summary>
    public static Refusal? ReportDelay(CaseState state, string personId, Instant until, PolicyOptions options, Instant now)
    {
        var person = state.FindPerson(personId);
        if (person is null) return Refusal.PersonNotFound(personId);
        var reports = PendingReports(state, person, options);
        if (reports.Count == 0)
            return Refusal.Policy("No required report to delay", [RuleIds.MandatoryCsa], ["No MANDATORY-CSA report is outstanding for this person."]);
        var latest = reports.Min(r => r.OriginalDueBy) + PolicyOptions.MaximumReportDelay;
        if (until <= now)
            return Refusal.Policy("A delay must end in the future", [RuleIds.MandatoryCsa], ["The delay must end after now."]);
        if (until > latest)
            return Refusal.Policy("A required report may be delayed by at most 7 days", [RuleIds.MandatoryCsa],
                [$"The earliest report was due by {latest - PolicyOptions.MaximumReportDelay}; it may be delayed until {latest} at the latest."]);
        return null;
    }

    /// <summary>A MANDATORY-CSA report owed for a person: the disclosure that raised it, its original due instant and the one in force.</summary>
    public sealed record RequiredReport(Guid DisclosureId, Instant RecordedAt, Instant OriginalDueBy, Instant DueBy);

    /// <summary>MANDATORY-CSA: every report owed for a person, one per disclosure that raised a sexual concern about them as a child.</summary>
    public static IReadOnlyList<RequiredReport> PendingReports(CaseState state, PersonAtRisk person, PolicyOptions options)
    {
        if (!options.MandatoryReportingDuty) return [];
        List<RequiredReport>? reports = null;
        PersonFacts? facts = null;
        foreach (var d in state.Disclosures)
        {
            if (!d.Concerns.Any(c => c.PersonId == person.Id && c.Category == ConcernCategory.Sexual)) continue;
            facts ??= new PersonFacts(state, person, LatestAssessmentOf(state, person.Id), options, d.At);
            if (MandatoryCsa(facts, DisclosureFacts.For(d, person, options)) is not { Effect: Effect.Requires }) continue;
            var original = d.DisclosedAt + options.MandatoryReportDue;
            var due = original;
            foreach (var delay in state.ReportDelays)
            {
                if (delay.PersonId == person.Id && delay.At >= d.At && delay.Until > due) due = delay.Until;
            }
            (reports ??= []).Add(new RequiredReport(d.DisclosureId, d.At, original, due));
        }
        return reports ?? (IReadOnlyList<RequiredReport>)[];
    }

    /// <summary>The latest risk assessment that assesses the given person, if any.</summary>
    public static RiskAssessmentRecorded? LatestAssessmentOf(CaseState state, string personId)
    {
        for (var i = state.RiskAssessments.Length - 1; i >= 0; i--)
        {
            if (Rules.AssessmentOf(state.RiskAssessments[i], personId) is not null) return state.RiskAssessments[i];
        }
        return null;
    }

    /// <summary>A risk assessment's assessment of one person, if it assesses them.</summary>
    public static PersonAssessment? AssessmentOf(RiskAssessmentRecorded? assessment, string personId)
    {
        if (assessment is null) return null;
        foreach (var a in assessment.Assessments)
        {
            if (a.PersonId == personId) return a;
        }
        return null;
    }
}
