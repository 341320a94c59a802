namespace SafeguardingCases.Domain.Policy;

/// <summary>One term of the policy, with the rule IDs where it matters.</summary>
public sealed record GlossaryEntry(string Term, string Definition, IReadOnlyList<string> RuleIds);

/// <summary>The policy's terms, from POLICY.md, as data for <c>GET /api/v1/glossary</c>.</summary>
public static class Glossary
{
    public static readonly IReadOnlyList<GlossaryEntry> Entries =
    [
        new("Service user", "The person the case is about, known by a pseudonymous reference from the channel (board handle, chat session id, text conversation id). Also a person at risk, with id 'service-user'.", []),
        new("Person at risk", "Anyone the policy is evaluated for: the service user and any other person named in a disclosure, such as a sibling or the children a coach still trains.", [RuleIds.PositionOfTrust]),
        new("Child", "A person under 18 at the time of the disclosure. A person whose age is unknown is treated as a child until an age is recorded.", [RuleIds.AgeChild, RuleIds.AgeUnknown]),
        new("Adult at risk", "An adult for whom all three tests hold and are recorded: has needs for care and support; is experiencing, or at risk of, abuse or neglect; and as a result of those needs is unable to protect themselves. Derived from the three answers, never set directly.", [RuleIds.AdultAtRisk]),
        new("Adult not at risk", "Every adult who is not an adult at risk. Only ever escalated in an emergency.", [RuleIds.AdultNotAtRisk, RuleIds.AdultNoNonEmergency]),
        new("Disclosure", "What the user told the service: when it was said (the time of the original post or message), the channel and source reference, a summary and the concerns it raises.", [RuleIds.PolicyVersion]),
        new("Current concern", "A concern where the person is still in the situation.", [RuleIds.ChildSafeguarding, RuleIds.AdultAtRiskSafeguarding]),
        new("Historical concern", "A concern where the person is now out of the situation. Never supports an emergency escalation.", [RuleIds.HistoricalNotEmergency]),
        new("Position of trust", "A role such as teacher, coach, faith leader, police officer or doctor. Harm by such a person to a child may be referred to the LADO while children may currently be at risk.", [RuleIds.PositionOfTrust, RuleIds.LegacyPositionOfTrust]),
        new("LADO", "The local authority designated officer, who receives allegations that someone working with children has harmed, or may harm, a child.", [RuleIds.PositionOfTrust]),
        new("Risk assessment", "A clinician's assessment, per person at risk, of the threat to life, the safeguarding concerns it accepts as current, and the recommended route, with its rationale. Every escalation rests on a current one.", [RuleIds.CurrentInfo, RuleIds.ClinicianDecides]),
        new("Clinician", "A qualified mental health professional. Only a clinician decides an escalation; an officer may carry it out.", [RuleIds.ClinicianDecides]),
        new("Emergency", "An escalation to police or ambulance via 999, permitted only for an immediate threat to someone's life, after a safety-plan attempt.", [RuleIds.EmergencyLife, RuleIds.SafetyPlanFirst, RuleIds.LegacyLife]),
        new("Non-emergency", "An escalation to children's social care, adult social care, police on 101, or the LADO, for a current safeguarding concern about a child or an adult at risk.", [RuleIds.ChildSafeguarding, RuleIds.AdultAtRiskSafeguarding, RuleIds.PositionOfTrust]),
        new("Safety plan", "A plan formed with the user to keep them safe. The service tries to form one before any emergency escalation.", [RuleIds.SafetyPlanFirst]),
        new("Mandatory report", "Where the mandatory reporting duty applies, a suspected sexual offence against a child must be reported to police or children's social care within the configured time, unless a clinician records a delay of up to seven days.", [RuleIds.MandatoryCsa]),
        new("Minimum necessary", "An escalation shares only what identifies or locates the person, or is needed for their safety, and records exactly which data were shared.", [RuleIds.MinimumNecessary]),
        new("Transparency notice", "What the service tells the user after an escalation: what was shared, with whom, why, and what may happen next. Only a clinician may withhold it, for a recorded reason.", [RuleIds.Transparency, RuleIds.TransparencyWithheld]),
        new("Unified policy", "The one confidentiality policy of the merged service, applying to disclosures made at or after its effective date. Earlier disclosures are judged under the legacy policy.", [RuleIds.PolicyVersion, RuleIds.LegacyNothingElse]),
        new("Policy override", "An escalation the policy does not permit, approved by two different safeguarding leads, each with a written justification. Serves one escalation.", [RuleIds.Override]),
    ];
}
