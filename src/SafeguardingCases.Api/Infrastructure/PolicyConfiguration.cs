using System.Globalization;
using System.Xml;
using NodaTime;
using NodaTime.Text;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure;

/// <summary>
/// Binds <see cref="PolicyOptions"/> from the <c>Policy</c> section: instants as ISO-8601, durations as ISO-8601
/// (<c>PT24H</c>) or <c>hh:mm:ss</c>. A value that does not parse stops start-up with the key's name: a policy
/// silently running on a default is worse than no service.
/// </summary>
public static class PolicyConfiguration
{
    public static PolicyOptions Bind(IConfiguration configuration)
    {
        var section = configuration.GetSection(PolicyOptions.SectionName);
        var defaults = PolicyOptions.Default;
        return new PolicyOptions
        {
            UnifiedPolicyEffectiveFrom = ReadInstant(section, nameof(PolicyOptions.UnifiedPolicyEffectiveFrom)) ?? defaults.UnifiedPolicyEffectiveFrom,
            RiskAssessmentValidFor = ReadDuration(section, nameof(PolicyOptions.RiskAssessmentValidFor)) ?? defaults.RiskAssessmentValidFor,
            EmergencyRiskAssessmentValidFor = ReadDuration(section, nameof(PolicyOptions.EmergencyRiskAssessmentValidFor)) ?? defaults.EmergencyRiskAssessmentValidFor,
            TransparencyNoticeDue = ReadDuration(section, nameof(PolicyOptions.TransparencyNoticeDue)) ?? defaults.TransparencyNoticeDue,
            MandatoryReportingDuty = ReadBool(section, nameof(PolicyOptions.MandatoryReportingDuty)) ?? defaults.MandatoryReportingDuty,
            MandatoryReportDue = ReadDuration(section, nameof(PolicyOptions.MandatoryReportDue)) ?? defaults.MandatoryReportDue,
        };
    }

    private static Instant? ReadInstant(IConfigurationSection section, string key)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var parsed = InstantPattern.ExtendedIso.Parse(raw.Trim());
        return parsed.Success ? parsed.Value : throw Invalid(key, raw, "an ISO-8601 UTC instant such as 2025-04-01T00:00:00Z");
    }

    private static Duration? ReadDuration(IConfigurationSection section, string key)
    {
        var raw = section[key]?.Trim();
        if (string.IsNullOrWhiteSpace(raw)) return null;
        try
        {
            var span = raw.StartsWith('P') ? XmlConvert.ToTimeSpan(raw) : TimeSpan.Parse(raw, CultureInfo.InvariantCulture);
            return span > TimeSpan.Zero ? Duration.FromTimeSpan(span) : throw Invalid(key, raw, "a positive duration");
        }
        catch (FormatException)
        {
            throw Invalid(key, raw, "an ISO-8601 duration (PT24H) or hh:mm:ss");
        }
        catch (OverflowException)
        {
            throw Invalid(key, raw, "a duration that fits");
        }
    }

    private static bool? ReadBool(IConfigurationSection section, string key)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw)) return null;
        return bool.TryParse(raw.Trim(), out var value) ? value : throw Invalid(key, raw, "true or false");
    }

    private static InvalidOperationException Invalid(string key, string raw, string expected) =>
        new($"Policy__{key} is '{raw}'; expected {expected}.");
}
