using FastEndpoints;
using Microsoft.Extensions.Primitives;
using NodaTime;
using NodaTime.Text;

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
        var result = InstantPattern.ExtendedIso.Parse(input.ToString());
        var ok = result.Success && result.Value >= Earliest && result.Value < Latest;
        return new ParseResult(ok, ok ? result.Value : null);
    }
}

/// <summary>Bounds for page-numbered lists, so an offset can never overflow or ask PostgreSQL to skip millions of rows.</summary>
public static class Paging
{
    public const int MaxPage = 10_000;
}
