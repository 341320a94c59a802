using FastEndpoints;
using Marten;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Messaging;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>An endpoint whose answers show case details: every answer it gives goes into the access log (ACCESS-LOG).</summary>
public interface ILogsCaseAccess;

/// <summary>
/// An endpoint that says itself when an answer is to be logged, before its first byte (<see cref="CaseAccessFeature.RecordAsync"/>):
/// a history that streams (so nothing is held back, in memory or on disk), and commands, whose refusals on a restricted
/// case are logged (RESTRICTION-OWNERS) while what they record is already in the case's events.
/// </summary>
public interface ILogsCaseAccessBeforeAnswering;

/// <summary>
/// What an endpoint tells the access log about the answer it is giving: the cases it showed (a list names each one)
/// and how the reader came to see them. A read of one case (<c>{id}</c> in the route) is logged without being told.
/// </summary>
public sealed class CaseAccessFeature
{
    private Func<int, Task>? recordNow;

    public List<Guid> Shown { get; } = [];
    public string? How { get; set; }

    /// <summary>An export this answer carries (its id and audience), recorded with the read (DESIGN.md, Exports).</summary>
    public (Guid ExportId, string Audience)? Export { get; set; }

    /// <summary>True once the answer's access records are committed.</summary>
    public bool Recorded { get; private set; }

    public static CaseAccessFeature? Of(HttpContext http) => http.Features.Get<CaseAccessFeature>();

    /// <summary>
    /// For an <see cref="ILogsCaseAccessBeforeAnswering"/> endpoint: commits the access records of the answer about to
    /// go out with <paramref name="status"/>, before any of it is written (503 if they cannot be).
    /// </summary>
    public async Task RecordAsync(int status)
    {
        if (recordNow is null || Recorded) return;
        await recordNow(status);
        Recorded = true;
    }

    internal void RecordWith(Func<int, Task> record) => recordNow = record;
}

/// <summary>
/// ACCESS-LOG, written in one place at the HTTP edge: for every endpoint that shows case details, the answer is held
/// back (in memory, spilling to a temporary file when large) until the access records of what it shows are committed,
/// or, for an endpoint that logs before answering, committed when it says so. No read goes out unlogged: if the log
/// cannot be written, the answer is discarded and the caller gets 503. Refused and not-found attempts are logged too.
/// </summary>
public sealed class AccessLogMiddleware(RequestDelegate next, IDocumentStore store, IClock clock, ILogger<AccessLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        var type = endpoint?.Metadata.GetMetadata<EndpointDefinition>()?.EndpointType;
        if (type is null || http.User.Identity?.IsAuthenticated != true)
        {
            await next(http);
            return;
        }
        var feature = new CaseAccessFeature();
        if (typeof(ILogsCaseAccessBeforeAnswering).IsAssignableFrom(type))
        {
            http.Features.Set(feature);
            feature.RecordWith(status => RecordAsync(http, endpoint!, CaseIdsOf(http, feature), feature.How, status, feature.Export));
            await next(http);
            return;
        }
        if (!typeof(ILogsCaseAccess).IsAssignableFrom(type))
        {
            await next(http);
            return;
        }

        http.Features.Set(feature);
        var original = http.Features.Get<IHttpResponseBodyFeature>()!;
        await using var buffer = new FileBufferingWriteStream();
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer, original));
        try
        {
            await next(http);
        }
        finally
        {
            http.Features.Set(original);
        }

        await RecordAsync(http, endpoint!, CaseIdsOf(http, feature), feature.How, http.Response.StatusCode);
        await buffer.DrainBufferAsync(original.Writer, CancellationToken.None);
    }

    private static List<Guid> CaseIdsOf(HttpContext http, CaseAccessFeature feature) =>
        feature.Shown.Count > 0 ? feature.Shown
            : http.GetRouteValue("id") is string id && Guid.TryParse(id, out var caseId) ? [caseId] : [];

    private async Task RecordAsync(HttpContext http, Endpoint endpoint, List<Guid> caseIds, string? how, int status, (Guid ExportId, string Audience)? export = null)
    {
        if (caseIds.Count == 0) return;
        var actor = http.User.ToActor();
        var now = clock.GetCurrentInstant();
        var route = $"{http.Request.Method} /{(endpoint as RouteEndpoint)?.RoutePattern.RawText?.TrimStart('/')}";
        await using var session = store.LightweightSession();
        foreach (var caseId in caseIds)
        {
            session.Insert(new CaseAccessRecord
            {
                Id = Guid.NewGuid(),
                CaseId = caseId,
                Subject = actor.Subject,
                Name = actor.Name,
                Roles = [.. actor.Roles],
                Route = route,
                At = now,
                AtUnixMs = now.ToUnixTimeMilliseconds(),
                Found = status is >= 200 and < 300,
                How = how ?? (caseIds.Count > 1 || http.GetRouteValue("id") is null ? "Listed" : "Role"),
                Status = status,
                ExportId = export?.ExportId,
                ExportAudience = export?.Audience,
            });
        }
        try
        {
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (Persistence.DatabaseFailures.IsTransient(e))
        {
            // No staff identifier and no case id in the log: the trace id leads to the request.
            logger.LogWarning("Could not record a read of case details ({Error}); the answer is withheld", e.GetType().Name);
            throw;
        }
    }
}
