using FastEndpoints;
using SafeguardingCases.Api.Infrastructure.Json;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>Maps a command's result to HTTP: ETag on success, problem details (with rule IDs) otherwise.</summary>
public static class EndpointResults
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = JsonSetup.Create();

    public static async Task SendCaseResultAsync<T>(this IEndpoint endpoint, CaseCommandResult<T> result, int successStatus, Func<T, string>? location = null)
    {
        var http = endpoint.HttpContext;
        switch (result.Status)
        {
            case CommandStatus.Done:
                http.Response.Headers.ETag = CaseVersion.ToETag(result.Version);
                if (location is not null) http.Response.Headers.Location = location(result.Value!);
                await SendJsonAsync(http, result.Value, successStatus);
                break;
            case CommandStatus.CaseNotFound:
                await Problems.WriteAsync(http, Problems.Create(404, "Case not found", "No case has this id."));
                break;
            case CommandStatus.Refused:
                if (result.Refusal!.Kind == Domain.Cases.RefusalKind.Restricted && CaseAccessFeature.Of(http) is { } access)
                {
                    // RESTRICTION-OWNERS: an attempt on a restricted case is in the access log, commands as well as reads.
                    access.How = Domain.Policy.Rules.AccessLog(null, result.Refusal);
                    await access.RecordAsync(StatusCodes.Status403Forbidden);
                }
                await Problems.WriteAsync(http, Problems.From(result.Refusal!));
                break;
            case CommandStatus.StaleVersion:
                await Problems.WriteAsync(http, Problems.Create(412, "The case has changed", "If-Match does not match the case's current version; reload the case and decide again."));
                break;
            case CommandStatus.Busy:
                await Problems.WriteAsync(http, Problems.Create(503, "The case is busy",
                    "Many changes to this case landed at once and this one could not be decided in time; try again shortly."));
                break;
            case CommandStatus.AnsweredBefore:
                await Remembering.ReplayAsync(http, result.EarlierAnswer!, IdempotencyKey.Of(http)!.RequestHash);
                break;
        }
    }

    /// <summary>A read about a case: the body and its ETag, 403 for a restricted case, or 404; the access log is told how.</summary>
    public static async Task SendCaseReadAsync<T>(this IEndpoint endpoint, Messaging.CaseRead<T> read, Func<T, long> versionOf)
    {
        var http = endpoint.HttpContext;
        if (CaseAccessFeature.Of(http) is { } access)
        {
            access.How = read.Refusal is null && read.View is null ? null : read.How;
            await access.RecordAsync(read.Refusal is not null ? StatusCodes.Status403Forbidden
                : read.View is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK);
        }
        if (read.Refusal is { } refusal)
        {
            await Problems.WriteAsync(http, Problems.From(refusal));
            return;
        }
        if (read.View is not { } body)
        {
            await Problems.WriteAsync(http, Problems.Create(404, "Case not found", "No case has this id."));
            return;
        }
        http.Response.Headers.ETag = CaseVersion.ToETag(versionOf(body));
        await SendJsonAsync(http, body, StatusCodes.Status200OK);
    }

    /// <summary>Reads If-Match; writes 400 and returns false when it is malformed.</summary>
    public static async Task<(bool Ok, long? Version)> ReadIfMatchAsync(this IEndpoint endpoint)
    {
        var http = endpoint.HttpContext;
        if (CaseVersion.TryParseIfMatch(http.Request.Headers.IfMatch, out var version)) return (true, version);
        await Problems.WriteAsync(http, Problems.Validation("If-Match", "If-Match takes the case's ETag, for example \"7\"."));
        return (false, null);
    }

    public static Task SendJsonAsync<T>(HttpContext http, T body, int status)
    {
        http.Response.StatusCode = status;
        http.MarkResponseStart();
        return http.Response.WriteAsJsonAsync(body, Json, "application/json", http.RequestAborted);
    }
}
