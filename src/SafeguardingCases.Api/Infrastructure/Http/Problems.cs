using System.Text.Json;
using FastEndpoints;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;
using Microsoft.AspNetCore.Diagnostics;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>
/// application/problem+json answers, built in one place so every error looks the same: one <c>type</c> family
/// (<c>/problems/&lt;slug&gt;</c>, listed in the README), the request's W3C trace id, and never exception text, SQL
/// or host names.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>Seconds a client should wait before retrying when the database is unavailable.</summary>
    public const int RetryAfterSeconds = 2;

    public static string TypeFor(string slug) => $"/problems/{slug}";

    public static string SlugFor(int status) => status switch
    {
        400 => "validation",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        409 => "conflict",
        412 => "stale-version",
        413 => "body-too-large",
        415 => "unsupported-media-type",
        422 => "policy-refusal",
        429 => "rate-limited",
        503 => "unavailable",
        // "internal" says the API is at fault: never for a request the client can put right.
        < 500 => "client-error",
        _ => "internal",
    };

    /// <summary>What the client can do about an answer the HTTP stack gives without saying (405, 415); null otherwise.</summary>
    public static string? DetailFor(int status, HttpResponse response) => status switch
    {
        405 => $"This route does not take {response.HttpContext.Request.Method}"
               + (response.Headers.Allow.Count > 0 ? $"; it takes {response.Headers.Allow}." : "."),
        415 => "Send the body as JSON, with Content-Type: application/json.",
        403 => ForbiddenDetail(response.HttpContext),
        _ => null,
    };

    /// <summary>
    /// A route refused for the caller's roles: which it needs, and which of this service's the token carries (none, when
    /// the identity provider puts them in a claim other than <c>Auth__RoleClaim</c>), so that whoever set up the client or
    /// the provider can put it right. Only role names, all public in the contract; nothing of any case.
    /// </summary>
    private static string? ForbiddenDetail(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<EndpointDefinition>()?.AllowedRoles is not { Count: > 0 } allowed) return null;
        var needed = Roles.All.Where(allowed.Contains).ToList();
        if (needed.Count == 0) return null;
        var held = Auth.AuthSetup.RolesOf(http.User).Where(Roles.All.Contains).ToList();
        var needs = needed.Count == 1 ? $"the role {needed[0]}" : $"one of the roles {string.Join(", ", needed)}";
        return held.Count > 0
            ? $"This needs {needs}; the token's roles are {string.Join(", ", held)}."
            : $"This needs {needs}; the token carries none of this service's roles (read from its '{(http.User.Identity as System.Security.Claims.ClaimsIdentity)?.RoleClaimType}' claim).";
    }

    public static ProblemDetails Create(int status, string title, string? detail = null, IReadOnlyList<string>? ruleIds = null, string? type = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = TypeFor(type ?? SlugFor(status)),
        };
        if (ruleIds is { Count: > 0 }) problem.Extensions["ruleIds"] = ruleIds;
        return problem;
    }

    /// <summary>400 naming one field (or header) and what is wrong with it, in the shape FastEndpoints' validation uses.</summary>
    public static ProblemDetails Validation(string field, string reason)
    {
        var problem = Create(400, "One or more validation errors occurred.", reason);
        problem.Extensions["errors"] = new[] { new { name = field, reason } };
        return problem;
    }

    public static int StatusFor(RefusalKind kind) => kind switch
    {
        RefusalKind.Policy => StatusCodes.Status422UnprocessableEntity,
        RefusalKind.Conflict => StatusCodes.Status409Conflict,
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.Restricted or RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    public static ProblemDetails From(Refusal refusal) =>
        Create(StatusFor(refusal.Kind), refusal.Title, refusal.Detail, refusal.RuleIds, refusal.Kind == RefusalKind.Restricted ? "restricted" : null);

    public static ProblemDetails Unavailable() =>
        Create(503, "Database unavailable", "The database could not be reached; try again shortly.");

    public static async Task WriteAsync(HttpContext http, ProblemDetails problem)
    {
        http.Response.StatusCode = problem.Status ?? 500;
        problem.Extensions["traceId"] = http.TraceIdentifier;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Tell FastEndpoints a response was sent.
        http.MarkResponseStart();
        await http.Response.WriteAsJsonAsync(problem, JsonSetupCache.Options, ContentType, http.RequestAborted);
    }

    private static class JsonSetupCache
    {
        public static readonly JsonSerializerOptions Options = Json.JsonSetup.Create();
    }
}

/// <summary>
/// Makes the request's trace identifier its W3C trace id (from the incoming <c>traceparent</c> or the request's
/// activity), so problem bodies, FastEndpoints' validation problems and logs all carry the same id.
/// </summary>
public sealed class TraceIdMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext http)
    {
        http.TraceIdentifier = (System.Diagnostics.Activity.Current?.TraceId ?? System.Diagnostics.ActivityTraceId.CreateRandom()).ToHexString();
        return next(http);
    }
}

/// <summary>
/// The last line: exceptions become problem details with a 4xx where the client is at fault (bad JSON, a body
/// too large, a stale version), 503 where the database is unreachable, and 500 only for a real fault.
/// </summary>
public sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        var problem = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                Problems.Create(413, "Request body too large", "The request body is larger than this API accepts."),
            BadHttpRequestException bad => Problems.Create(bad.StatusCode, "Bad request", "The request could not be read."),
            JsonException json => Problems.Validation(JsonPath(json), "The request body is not valid JSON for this route."),
            _ when DatabaseFailures.IsTransient(exception) => Problems.Unavailable(),
            _ when DatabaseFailures.IsConflict(exception) =>
                Problems.Create(409, "Conflict", "Another change landed first; reload the case and try again."),
            _ => null,
        };
        if (problem is null)
        {
            // The cause stays in the log (with the trace id); the body says only that it happened.
            logger.LogError(exception, "Unhandled exception on {Method} {Route}", http.Request.Method, RouteOf(http));
            problem = Problems.Create(500, "Internal server error", "An unexpected error occurred; it has been logged under the trace id.");
        }
        else
        {
            logger.LogInformation("Request answered {Status} ({Exception})", problem.Status, exception.GetType().Name);
        }

        if (http.Response.HasStarted) return false;
        http.Response.Clear();
        // A console page (its session or key ring unreadable): a page a person can read, not JSON.
        if (problem.Status == StatusCodes.Status503ServiceUnavailable && Web.ConsoleSetup.IsConsolePath(http.Request.Path))
            await Web.ConsoleSetup.WriteUnavailablePageAsync(http, Problems.RetryAfterSeconds);
        else
            await Problems.WriteAsync(http, problem);
        return true;
    }

    /// <summary>The JSON path of a malformed body's bad value ("$.channel" is "channel"), or "body".</summary>
    private static string JsonPath(JsonException json) =>
        json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";

    /// <summary>The route template, not the path: paths carry case ids, which are not for the log.</summary>
    private static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
}
