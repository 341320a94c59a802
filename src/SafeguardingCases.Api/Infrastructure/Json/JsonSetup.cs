using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;
using NodaTime.Text;
using SafeguardingCases.Api.Infrastructure.Configuration;

namespace SafeguardingCases.Api.Infrastructure.Json;

/// <summary>
/// The JSON shape of HTTP bodies: camelCase, enums as strings, NodaTime instants and durations as ISO-8601, and no
/// string that PostgreSQL's jsonb cannot store (a NUL character, an unpaired surrogate) gets past the edge.
/// </summary>
public static class JsonSetup
{
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
        // Enums are strings; a number or an unknown name is refused with the allowed values, never a .NET type name.
        options.Converters.Add(new NamedEnumConverterFactory());
        // Before NodaTime's own converters, which write durations as "1:00:00:00".
        options.Converters.Add(new IsoDurationConverter());
        options.Converters.Add(new RfcInstantConverter());
        options.Converters.Add(new StorableStringConverter());
        options.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
        return options;
    }

    /// <summary>
    /// The options FastEndpoints reads request bodies with: <see cref="Configure"/>, and a body means one thing. A member
    /// the request does not take (a misspelt "careAndSupportNeed") is refused, not dropped, as the OpenAPI document's
    /// additionalProperties: false says; a member sent twice, which one reader takes first and another last, is refused
    /// too. Only here: files and stored JSON the API reads back (a checkpoint file for verify-ledger) stay as lenient.
    /// </summary>
    public static JsonSerializerOptions ForRequestBodies(JsonSerializerOptions options)
    {
        Configure(options);
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        return options;
    }

    public static JsonSerializerOptions Create() => Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
}

/// <summary>
/// Durations as ISO-8601 in hours, minutes and seconds (<c>PT24H</c>, <c>PT168H</c>; never <c>P1D</c>, which a reader may
/// take for a calendar day); read in the same forms configuration accepts.
/// </summary>
public sealed class IsoDurationConverter : JsonConverter<Duration>
{
    public static string Format(Duration value)
    {
        if (value == Duration.Zero) return "PT0S";
        var text = new System.Text.StringBuilder(value < Duration.Zero ? "-PT" : "PT");
        var d = value < Duration.Zero ? -value : value;
        var hours = (long)Math.Floor(d.TotalHours);
        var minutes = d.Minutes;
        var seconds = d.Seconds + d.SubsecondNanoseconds / 1e9m;
        if (hours > 0) text.Append(hours.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('H');
        if (minutes > 0) text.Append(minutes.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('M');
        if (seconds > 0) text.Append(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('S');
        return text.ToString();
    }

    public override Duration Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && Settings.ParseDuration(reader.GetString()!) is { } duration
            ? duration
            : throw new JsonException("must be an ISO-8601 duration such as PT24H.");

    public override void Write(Utf8JsonWriter writer, Duration value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Format(value));
}

/// <summary>
/// Refuses, while reading a request, any string PostgreSQL's jsonb cannot store: a NUL character (<c>\u0000</c>) or
/// an unpaired UTF-16 surrogate. The request then fails validation naming the field, instead of failing in the
/// database with a 500.
/// </summary>
public sealed class StorableStringConverter : JsonConverter<string>
{
    public const string Message = "contains a character that cannot be stored (a NUL character, a Unicode noncharacter or an unpaired surrogate).";

    public override bool HandleNull => false;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        return value is null || IsStorable(value) ? value : throw new JsonException(Message);
    }

    /// <summary>DESTRUCTION-TWO-LEADS: what a personal text whose case key was destroyed reads as, here and in the history.</summary>
    public const string DestroyedJson = "{\"destroyed\":true}";

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        if (Domain.Cases.PersonalAttribute.IsDestroyed(value)) writer.WriteRawValue(DestroyedJson, skipInputValidation: true);
        else writer.WriteStringValue(value);
    }

    public static bool IsStorable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            // Unicode noncharacters U+FDD0..U+FDEF are not for interchange; the API uses them for destroyed values.
            if (c is '\0' or (>= '\uFDD0' and <= '\uFDEF')) return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>
/// Enums as their names. Reading refuses numbers ("route": 2 is as wrong as "route": "Sideways") and unknown names
/// with a message that lists the allowed values, so a validation error tells the client what to send.
/// </summary>
public sealed class NamedEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(NamedEnumConverter<>).MakeGenericType(typeToConvert))!;

    private sealed class NamedEnumConverter<T> : JsonConverter<T> where T : struct, Enum
    {
        private static readonly string Allowed = string.Join(", ", Enum.GetNames<T>());

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && Enum.TryParse<T>(reader.GetString(), ignoreCase: false, out var value)
                && Enum.IsDefined(value) && !char.IsAsciiDigit(reader.GetString()![0]))
                return value;
            throw new JsonException($"must be one of: {Allowed}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}

/// <summary>
/// Instants: written as ISO-8601 UTC (<c>2025-03-04T10:15:00Z</c>); read as any RFC 3339 date-time, which is what
/// OpenAPI's <c>format: date-time</c> promises a client (<c>+00:00</c> or another offset included).
/// </summary>
public sealed class RfcInstantConverter : JsonConverter<Instant>
{
    public override Instant Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && RfcInstant.Parse(reader.GetString()!) is { } instant
            ? instant
            : throw new JsonException("must be an RFC 3339 date-time such as 2025-03-04T10:15:00Z.");

    public override void Write(Utf8JsonWriter writer, Instant value, JsonSerializerOptions options) =>
        writer.WriteStringValue(InstantPattern.ExtendedIso.Format(value));
}

/// <summary>Parses an RFC 3339 date-time: UTC with <c>Z</c>, or with an offset.</summary>
public static class RfcInstant
{
    public static Instant? Parse(string text)
    {
        var utc = InstantPattern.ExtendedIso.Parse(text);
        if (utc.Success) return utc.Value;
        var offset = OffsetDateTimePattern.ExtendedIso.Parse(text);
        return offset.Success ? offset.Value.ToInstant() : null;
    }
}
