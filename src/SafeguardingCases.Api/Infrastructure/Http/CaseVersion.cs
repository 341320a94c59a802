using System.Globalization;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary><c>ETag: "&lt;stream version&gt;"</c> and <c>If-Match</c> parsing.</summary>
public static class CaseVersion
{
    public static string ToETag(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// Parses <c>If-Match</c>: absent or <c>*</c> means any version (null); <c>"7"</c>, <c>W/"7"</c> or <c>7</c>
    /// mean version 7. Anything else is malformed.
    /// </summary>
    public static bool TryParseIfMatch(string? header, out long? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*") return true;
        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"');
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= 0)
        {
            version = parsed;
            return true;
        }
        return false;
    }
}
