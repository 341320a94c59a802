using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using NodaTime.Text;

namespace SafeguardingCases.Api.Infrastructure.Configuration;

/// <summary>
/// A configuration value the API will not run with. Program catches it, writes its message as one line to standard
/// error and exits with <see cref="ExitCode"/>: a service silently running on a misread value is worse than none.
/// </summary>
public sealed class StartupRefusedException(string message) : Exception(message)
{
    public const int ExitCode = 2;
}

/// <summary>
/// Reads typed values from configuration, refusing what it cannot read unambiguously. Durations are ISO-8601
/// (<c>PT24H</c>, <c>P1D</c>; no years or months, whose length varies) or <c>H:mm:ss</c> counted in hours, so
/// <c>24:00:00</c> is 24 hours (never <see cref="TimeSpan.Parse(string)"/>'s 24 days).
/// </summary>
public static partial class Settings
{
    /// <summary>The key as an environment variable spells it (<c>Policy__TransparencyNoticeDue</c>), for messages.</summary>
    public static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    public static Duration? ReadDuration(IConfiguration configuration, string key)
    {
        var raw = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(raw)) return null;
        var duration = ParseDuration(raw)
            ?? throw Invalid(key, raw, "an ISO-8601 duration such as PT24H (or hours:minutes:seconds such as 24:00:00)");
        return duration > Duration.Zero ? duration : throw Invalid(key, raw, "a positive duration");
    }

    /// <summary>A duration in one of the two accepted forms, or null.</summary>
    public static Duration? ParseDuration(string raw)
    {
        var iso = PeriodPattern.NormalizingIso.Parse(raw);
        if (iso.Success)
        {
            var period = iso.Value;
            return period.Years == 0 && period.Months == 0 ? period.ToDuration() : null;
        }
        var clock = HoursMinutesSeconds().Match(raw);
        if (!clock.Success) return null;
        return Duration.FromHours(long.Parse(clock.Groups[1].Value, CultureInfo.InvariantCulture))
            + Duration.FromMinutes(int.Parse(clock.Groups[2].Value, CultureInfo.InvariantCulture))
            + Duration.FromSeconds(int.Parse(clock.Groups[3].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>A calendar period (ISO-8601, years allowed: <c>P25Y</c>, <c>P6Y</c>, <c>P1D</c>, <c>PT1S</c>), positive; null when unset.</summary>
    public static Period? ReadPeriod(IConfiguration configuration, string key)
    {
        var raw = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(raw)) return null;
        var parsed = PeriodPattern.NormalizingIso.Parse(raw);
        if (!parsed.Success) throw Invalid(key, raw, "an ISO-8601 period such as P25Y");
        var period = parsed.Value;
        var positive = period.Years >= 0 && period.Months >= 0 && period.Weeks >= 0 && period.Days >= 0 && period.Hours >= 0
            && period.Minutes >= 0 && period.Seconds >= 0 && period.Milliseconds >= 0 && !period.Equals(Period.Zero);
        return positive ? period : throw Invalid(key, raw, "a positive period such as P25Y");
    }

    public static Instant? ReadInstant(IConfiguration configuration, string key)
    {
        var raw = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(raw)) return null;
        var parsed = InstantPattern.ExtendedIso.Parse(raw);
        return parsed.Success ? parsed.Value : throw Invalid(key, raw, "an ISO-8601 UTC instant such as 2025-04-01T00:00:00Z");
    }

    public static bool? ReadBool(IConfiguration configuration, string key)
    {
        var raw = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(raw)) return null;
        return bool.TryParse(raw, out var value) ? value : throw Invalid(key, raw, "true or false");
    }

    public static long? ReadPositiveLong(IConfiguration configuration, string key, bool allowZero = false)
    {
        var raw = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(raw)) return null;
        return long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && (value > 0 || allowZero)
            ? value
            : throw Invalid(key, raw, allowZero ? "a whole number (0 for off)" : "a positive whole number");
    }

    public static StartupRefusedException Invalid(string key, string raw, string expected) =>
        new($"{EnvironmentName(key)} is '{raw}'; expected {expected}.");

    [GeneratedRegex(@"^(\d{1,6}):([0-5]\d):([0-5]\d)$", RegexOptions.CultureInvariant)]
    private static partial Regex HoursMinutesSeconds();
}
