using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Domain.Policy;

/// <summary>What the policy says of one route for one person.</summary>
public enum RouteStatus { Required, Permitted, NotPermitted }

/// <summary>How the policy classifies a person (section 1).</summary>
public enum PersonClassification { Child, AdultAtRisk, AdultNotAtRisk, UnknownTreatedAsChild }

/// <summary>Something the service owes, with the instant it is due by.</summary>
public enum ObligationType { SafetyPlanFirst, RiskAssessmentNeeded, TransparencyNoticeDue, ReportDue, NoEscalationDecisionDue }

/// <summary>An outstanding obligation the policy creates; a required report names the disclosure that raised it.</summary>
public sealed record Obligation(ObligationType Type, string RuleId, Instant DueBy, string? PersonId, Guid? EscalationId, Guid? DisclosureId = null);

/// <summary>
/// The policy's answer for one route and person. <see cref="RuleIds"/> are the rules that decided it;
/// <see cref="Unmet"/> are rules that must still be satisfied before a Required route can be carried out.
/// </summary>
public sealed record RouteDecision(
    Route Route,
    RouteStatus Status,
    IReadOnlyList<string> RuleIds,
    IReadOnlyList<string> Unmet,
    IReadOnlyList<Agency> Agencies,
    IReadOnlyList<string> Reasons,
    PolicyVersion PolicyVersion);

/// <summary>The policy's answer for one person at risk.</summary>
public sealed record PersonDecision(
    string PersonId,
    PersonClassification Classification,
    string ClassificationRuleId,
    RouteDecision Emergency,
    RouteDecision NonEmergency);

/// <summary>How a person was classified at a disclosure (AGE-CHILD: each disclosure is judged with the age at its time).</summary>
public sealed record PersonAtDisclosure(string PersonId, PersonClassification Classification, string ClassificationRuleId);

/// <summary>Which policy a disclosure is judged under (POLICY-VERSION), and how each person it concerns was classified then.</summary>
public sealed record DisclosurePolicy(Guid DisclosureId, PolicyVersion PolicyVersion, string RuleId, IReadOnlyList<PersonAtDisclosure> Persons);

/// <summary>The whole decision for a case at one instant (POLICY.md section 7).</summary>
public sealed record PolicyDecision(
    Instant EvaluatedAt,
    IReadOnlyList<PersonDecision> Persons,
    IReadOnlyList<Obligation> Obligations,
    IReadOnlyList<DisclosurePolicy> Disclosures);
