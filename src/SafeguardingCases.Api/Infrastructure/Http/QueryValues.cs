using FastEndpoints;
using Microsoft.Extensions.Primitives;
using NodaTime.Text;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>Parsers for values FastEndpoints binds from the query string.</summary>
public static class QueryValues
{
    public static ParseResult ParseInstant(StringValues input)
    {
        var result = InstantPattern.ExtendedIso.Parse(input.ToString());
        return new ParseResult(result.Success, result.Success ? result.Value : null);
    }
}
