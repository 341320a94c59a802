using System.Globalization;

namespace SafeguardingCases.Web.Components.Shared;

/// <summary>
/// How the console writes instants and versions. Instants in UK time, as the service's staff keep it (Europe/London, from
/// NodaTime's own copy of the time-zone database, so no host or container needs one), to the minute, with GMT or BST
/// beside each; and a time typed into a form read as UK time. The API itself speaks UTC.
/// </summary>
public static class Format
{
    private static readonly NodaTime.DateTimeZone Uk = NodaTime.DateTimeZoneProviders.Tzdb["Europe/London"];

    public static string Instant(DateTimeOffset? at)
    {
        if (at is not { } value) return "";
        var uk = NodaTime.Instant.FromDateTimeOffset(value).InZone(Uk);
        return $"{uk.ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture)} {uk.GetZoneInterval().Name}";
    }

    /// <summary>
    /// A date and time typed into a form (a <c>datetime-local</c> field: no zone) as the UK instant it names; a time in the
    /// hour the clocks skip is read an hour on (as the clocks moved); one in the hour they repeat, as the earlier.
    /// </summary>
    public static DateTimeOffset FromUkTime(DateTime typed) =>
        NodaTime.LocalDateTime.FromDateTime(DateTime.SpecifyKind(typed, DateTimeKind.Unspecified)).InZoneLeniently(Uk).ToInstant().ToDateTimeOffset();

    /// <summary>A UK date as a date field and a link carry it (<c>2026-12-07</c>).</summary>
    public static string DateField(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A date from a date field or a link, or null when the text is not one.</summary>
    public static DateOnly? ReadDate(string? text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;

    /// <summary>The instant a UK day begins (midnight, GMT or BST as the day has it).</summary>
    public static DateTimeOffset StartOfUkDay(DateOnly day) => FromUkTime(day.ToDateTime(TimeOnly.MinValue));

    /// <summary>Today's date in the UK.</summary>
    public static DateOnly TodayInUk() => DateOnly.FromDateTime(NowInUk());

    /// <summary>Now in UK time, to the minute: what a form's time field starts at.</summary>
    public static DateTime NowInUk()
    {
        var now = NodaTime.SystemClock.Instance.GetCurrentInstant().InZone(Uk).LocalDateTime;
        return new DateTime(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, DateTimeKind.Unspecified);
    }

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
