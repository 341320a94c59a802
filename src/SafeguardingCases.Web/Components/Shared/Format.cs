using System.Globalization;

namespace SafeguardingCases.Web.Components.Shared;

/// <summary>How the console writes instants and versions: UTC, to the minute, the same everywhere.</summary>
public static class Format
{
    public static string Instant(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("d MMM yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";

    private static readonly Dictionary<string, string> Named = new(StringComparer.Ordinal)
    {
        ["NonEmergency"] = "Non-emergency",
        ["ChildrensSocialCare"] = "Children's social care",
        ["Police999"] = "Police (999)",
        ["Ambulance999"] = "Ambulance (999)",
        ["Police101"] = "Police (101)",
        ["Lado"] = "LADO",
        ["IpAddress"] = "IP address",
    };

    /// <summary>An enum value in words: <c>ChildrensSocialCare</c> → "Children's social care", <c>SelfHarm</c> → "Self harm".</summary>
    public static string Words<T>(T? value) where T : struct, Enum =>
        value is not { } v ? "" : Named.TryGetValue(v.ToString(), out var named) ? named : Sentence(v.ToString());

    /// <summary>A name in words: <c>TransparencyNoticeSent</c> → "Transparency notice sent" (a run of capitals stays one word).</summary>
    public static string Sentence(string name)
    {
        var text = new System.Text.StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && !char.IsUpper(name[i - 1])) text.Append(' ').Append(char.ToLowerInvariant(name[i]));
            else text.Append(name[i]);
        }
        return text.ToString();
    }
}
