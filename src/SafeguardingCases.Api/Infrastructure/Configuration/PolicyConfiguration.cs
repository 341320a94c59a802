using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Configuration;

/// <summary>
/// Binds <see cref="PolicyOptions"/> from the <c>Policy</c> section (see <see cref="Settings"/> for the forms
/// accepted). A value that does not parse stops start-up with the key's name.
/// </summary>
public static class PolicyConfiguration
{
    public static PolicyOptions Bind(IConfiguration configuration)
    {
        var defaults = PolicyOptions.Default;
        string Key(string name) => $"{PolicyOptions.SectionName}:{name}";
        return new PolicyOptions
        {
            UnifiedPolicyEffectiveFrom = Settings.ReadInstant(configuration, Key(nameof(PolicyOptions.UnifiedPolicyEffectiveFrom)))
                ?? defaults.UnifiedPolicyEffectiveFrom,
            RiskAssessmentValidFor = Settings.ReadDuration(configuration, Key(nameof(PolicyOptions.RiskAssessmentValidFor)))
                ?? defaults.RiskAssessmentValidFor,
            EmergencyRiskAssessmentValidFor = Settings.ReadDuration(configuration, Key(nameof(PolicyOptions.EmergencyRiskAssessmentValidFor)))
                ?? defaults.EmergencyRiskAssessmentValidFor,
            TransparencyNoticeDue = Settings.ReadDuration(configuration, Key(nameof(PolicyOptions.TransparencyNoticeDue)))
                ?? defaults.TransparencyNoticeDue,
            MandatoryReportingDuty = Settings.ReadBool(configuration, Key(nameof(PolicyOptions.MandatoryReportingDuty)))
                ?? defaults.MandatoryReportingDuty,
            MandatoryReportDue = Settings.ReadDuration(configuration, Key(nameof(PolicyOptions.MandatoryReportDue)))
                ?? defaults.MandatoryReportDue,
            // RETENTION-SCHEDULE: Retention__Schedule__ChildSafeguarding and the rest, calendar periods (P25Y).
            Retention = new RetentionSchedule
            {
                ChildSafeguarding = Settings.ReadPeriod(configuration, "Retention:Schedule:ChildSafeguarding") ?? defaults.Retention.ChildSafeguarding,
                SexualAbuse = Settings.ReadPeriod(configuration, "Retention:Schedule:SexualAbuse") ?? defaults.Retention.SexualAbuse,
                AdultAtRisk = Settings.ReadPeriod(configuration, "Retention:Schedule:AdultAtRisk") ?? defaults.Retention.AdultAtRisk,
                Other = Settings.ReadPeriod(configuration, "Retention:Schedule:Other") ?? defaults.Retention.Other,
            },
        };
    }
}
