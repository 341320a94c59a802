using NodaTime;

namespace SafeguardingCases.Domain.Policy;

/// <summary>
/// The policy's parameters, bound from the <c>Policy</c> configuration section (DESIGN.md), with POLICY.md's defaults.
/// </summary>
public sealed record PolicyOptions
{
    public const string SectionName = "Policy";

    /// <summary>POLICY-VERSION: disclosures at or after this instant are judged under the unified policy.</summary>
    public Instant UnifiedPolicyEffectiveFrom { get; init; } = Instant.FromUtc(2025, 4, 1, 0, 0);

    /// <summary>CURRENT-INFO: how long a risk assessment supports a non-emergency escalation (default 24 h).</summary>
    public Duration RiskAssessmentValidFor { get; init; } = Duration.FromHours(24);

    /// <summary>CURRENT-INFO: how long a risk assessment supports an emergency escalation (default 1 h).</summary>
    public Duration EmergencyRiskAssessmentValidFor { get; init; } = Duration.FromHours(1);

    /// <summary>TRANSPARENCY: the notice is due this long after the escalation (default 24 h).</summary>
    public Duration TransparencyNoticeDue { get; init; } = Duration.FromHours(24);

    /// <summary>
    /// MANDATORY-CSA: whether the mandatory reporting duty applies. POLICY.md leaves the default open; on is the
    /// protective choice (a report becomes required rather than merely permitted), and an organisation not under the
    /// duty turns it off.
    /// </summary>
    public bool MandatoryReportingDuty { get; init; } = true;

    /// <summary>MANDATORY-CSA: a required report is due this long after the disclosure (default 24 h).</summary>
    public Duration MandatoryReportDue { get; init; } = Duration.FromHours(24);

    /// <summary>MANDATORY-CSA: a clinician may delay a required report by at most this much beyond its due time.</summary>
    public static readonly Duration MaximumReportDelay = Duration.FromDays(7);

    /// <summary>
    /// RETENTION-SCHEDULE: when a closed case is reviewed (<c>Retention:Schedule:*</c>). Not one of the parameters an
    /// escalation records with its decision (those are the escalation policy's), so never serialized with them.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public RetentionSchedule Retention { get; init; } = new();

    public static PolicyOptions Default { get; } = new();
}

/// <summary>
/// RETENTION-SCHEDULE (POLICY.md section 9): child safeguarding records from the youngest child's date of birth (from
/// closure when none is known), child sexual abuse and other records from closure. Calendar periods (years), not durations.
/// </summary>
public sealed record RetentionSchedule
{
    public Period ChildSafeguarding { get; init; } = Period.FromYears(25);
    public Period SexualAbuse { get; init; } = Period.FromYears(75);
    public Period AdultAtRisk { get; init; } = Period.FromYears(6);
    public Period Other { get; init; } = Period.FromYears(6);
}
