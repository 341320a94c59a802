using FastEndpoints;
using Microsoft.Extensions.Primitives;
using NodaTime;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>Parsers for values FastEndpoints binds from the query string.</summary>
public static class QueryValues
{
    /// <summary>The instants a query may name: anything a case could involve, with room to spare on both sides.</summary>
    public static readonly Instant Earliest = Instant.FromUtc(1900, 1, 1, 0, 0);

    public static readonly Instant Latest = Instant.FromUtc(2200, 1, 1, 0, 0);

    /// <summary>
    /// An ISO-8601 UTC instant between <see cref="Earliest"/> and <see cref="Latest"/>; anything else fails binding
    /// (400 naming the parameter), so no range computation downstream can overflow.
    /// </summary>
    public static ParseResult ParseInstant(StringValues input)
    {
        var parsed = Json.RfcInstant.Parse(input.ToString());
        var ok = parsed is { } value && value >= Earliest && value < Latest;
        return new ParseResult(ok, ok ? parsed : null);
    }
}

/// <summary>
/// Binding failures in the contract's words: the field as the JSON or query names it and what it takes, never a .NET
/// type name or exception text.
/// </summary>
public static class BindingMessages
{
    /// <summary>A query or route value that could not be read.</summary>
    public static string ForValue(Type type, string name, StringValues value)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var expected = t switch
        {
            _ when t == typeof(NodaTime.Instant) => "an ISO-8601 UTC instant between 1900 and 2200, such as 2025-03-04T10:15:00Z",
            _ when t == typeof(Guid) => "an id (a UUID)",
            _ when t == typeof(int) || t == typeof(long) => "a whole number",
            _ when t == typeof(bool) => "true or false",
            { IsEnum: true } => "one of: " + string.Join(", ", Enum.GetNames(t)),
            _ => "a valid value",
        };
        return $"{name} is {expected}.";
    }

    /// <summary>A JSON body that could not be read: the field it failed at, and what it takes when a converter said so.</summary>
    public static FluentValidation.Results.ValidationFailure ForJson(System.Text.Json.JsonException e)
    {
        var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "serializerErrors";
        // Our converters say what a field takes ("must be one of: ..."); anything else from the serializer names .NET types.
        var ours = e.Message.StartsWith("must be", StringComparison.Ordinal) || e.Message.StartsWith("contains", StringComparison.Ordinal)
                   || e.Message.StartsWith("Expected", StringComparison.Ordinal);
        var reason = field == "serializerErrors" ? "The body is not valid JSON for this request."
            : ours ? $"{field} {e.Message}"
            // System.Text.Json's own words for a member the type lacks and one sent twice (JsonSetup refuses both).
            : e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? $"{field} is not a field this request takes (see the OpenAPI document)."
            : e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase) ? $"{field} is sent more than once."
            : $"{field} does not have the type this request takes (see the OpenAPI document).";
        return new FluentValidation.Results.ValidationFailure(field, reason);
    }
}

/// <summary>Ids in a route (<c>/cases/{id}</c>), read in the contract's words.</summary>
public static class RouteIds
{
    /// <summary>
    /// The route value <paramref name="name"/> as an id, or a 400 naming it as a query value's would ("id is an id (a
    /// UUID)."), where FastEndpoints' own <c>Route&lt;Guid&gt;</c> says "Unable to read value of route parameter!".
    /// </summary>
    public static Guid RouteId(this IEndpoint endpoint, string name)
    {
        var value = endpoint.HttpContext.Request.RouteValues[name]?.ToString();
        if (Guid.TryParse(value, out var id)) return id;
        // FastEndpoints answers the endpoint's own failures when this exception leaves the handler.
        endpoint.ValidationFailures.Add(new FluentValidation.Results.ValidationFailure(name, BindingMessages.ForValue(typeof(Guid), name, value)));
        throw new ValidationFailureException(endpoint.ValidationFailures, "A route id is not an id.");
    }
}

/// <summary>Bounds for page-numbered lists, so an offset can never overflow or ask PostgreSQL to skip millions of rows.</summary>
public static class Paging
{
    public const int MaxPage = 10_000;
}

/// <summary>
/// Keyset cursors for lists sorted by an instant and an id: the key is "milliseconds (15 digits):id", fixed-width so it
/// sorts as text; the cursor is that key in base64url, opaque to clients.
/// </summary>
public static class Cursor
{
    public static string Key(NodaTime.Instant at, Guid id) =>
        $"{at.ToUnixTimeMilliseconds().ToString("D15", System.Globalization.CultureInfo.InvariantCulture)}:{id:N}";

    /// <summary>The time (Unix ms) and id a key stands for: a keyset page's position.</summary>
    public static (long Ms, Guid Id) Parse(string key) =>
        (long.Parse(key[..15], System.Globalization.CultureInfo.InvariantCulture), Guid.ParseExact(key[16..], "N"));

    /// <summary>The smallest key at or after an instant (for a range's lower bound) or before it (exclusive upper bound).</summary>
    public static string Bound(NodaTime.Instant at) => at.ToUnixTimeMilliseconds().ToString("D15", System.Globalization.CultureInfo.InvariantCulture);

    public static string Encode(string key) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The key a cursor stands for, or null when it is not one this API issued.</summary>
    public static string? Decode(string cursor) =>
        DecodeText(cursor) is { } key && key.Length == 48 && key[15] == ':' && key[..15].All(char.IsAsciiDigit) && Guid.TryParseExact(key[16..], "N", out _)
            ? key
            : null;

    /// <summary>The text a cursor encodes (<see cref="Encode"/>), or null when it is not base64url of UTF-8.</summary>
    public static string? DecodeText(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(padded));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }
}
