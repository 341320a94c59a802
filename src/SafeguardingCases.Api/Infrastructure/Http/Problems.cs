using System.Text.Json;
using FastEndpoints;
using ProblemDetails = Microsoft.AspNetCore.Mvc.ProblemDetails;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>application/problem+json answers, built in one place so every error looks the same.</summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(int status, string title, string? detail = null, IReadOnlyList<string>? ruleIds = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
        };
        if (ruleIds is not null) problem.Extensions["ruleIds"] = ruleIds;
        return problem;
    }

    public static int StatusFor(RefusalKind kind) => kind switch
    {
        RefusalKind.Policy => StatusCodes.Status422UnprocessableEntity,
        RefusalKind.Conflict => StatusCodes.Status409Conflict,
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    public static ProblemDetails From(Refusal refusal) =>
        Create(StatusFor(refusal.Kind), refusal.Title, refusal.Detail, refusal.RuleIds);

    public static async Task WriteAsync(HttpContext http, ProblemDetails problem)
    {
        http.Response.StatusCode = problem.Status ?? 500;
        problem.Extensions["traceId"] = http.TraceIdentifier;
        // Tell FastEndpoints a response was sent, even when the body goes to a buffer (Idempotency-Key capture).
        http.MarkResponseStart();
        await http.Response.WriteAsJsonAsync(problem, JsonSetupCache.Options, ContentType, http.RequestAborted);
    }

    private static class JsonSetupCache
    {
        public static readonly JsonSerializerOptions Options = Json.JsonSetup.Create();
    }
}

/// <summary>
/// The last line: exceptions become problem details with a 4xx where the client is at fault (bad JSON, a body
/// too large, a stale version), 503 where the database is unreachable, and 500 only for a real fault.
/// </summary>
public sealed class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger, IHostEnvironment environment) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var http = httpContext;
        var problem = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => Problems.Create(413, "Request body too large", exception.Message),
            BadHttpRequestException bad => Problems.Create(bad.StatusCode, "Bad request", bad.Message),
            JsonException json => Problems.Create(400, "Malformed JSON", json.Message),
            JasperFx.ConcurrencyException => Problems.Create(412, "The case has changed", "The case changed since the version you sent; reload it and try again."),
            // A retried open whose first commit did land: the case exists; the Idempotency-Key replay gives its id.
            JasperFx.Events.ExistingStreamIdCollisionException => Problems.Create(409, "The case already exists", "This case was already opened; repeat the request with its Idempotency-Key to get its id."),
            NpgsqlException { IsTransient: true } => Problems.Create(503, "Database unavailable", "The database could not be reached; try again shortly."),
            _ => null,
        };
        if (problem is null)
        {
            logger.LogError(exception, "Unhandled exception on {Method} {Path}", http.Request.Method, http.Request.Path);
            // Outside production the cause helps whoever is developing; in production it stays in the log only.
            problem = Problems.Create(500, "Internal server error", environment.IsProduction()
                ? "An unexpected error occurred; it has been logged."
                : $"An unexpected error occurred; it has been logged. {exception.GetType().Name}: {exception.Message}");
        }
        else
        {
            logger.LogInformation("Request refused with {Status}: {Message}", problem.Status, exception.Message);
        }

        if (http.Response.HasStarted) return false;
        http.Response.Clear();
        await Problems.WriteAsync(http, problem);
        return true;
    }
}
