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
/// What an endpoint tells the access log about the answer it is giving: the cases it showed (a list names each one)
/// and how the reader came to see them. A read of one case (<c>{id}</c> in the route) is logged without being told.
/// </summary>
public sealed class CaseAccessFeature
{
    public List<Guid> Shown { get; } = [];
    public string? How { get; set; }

    public static CaseAccessFeature? Of(HttpContext http) => http.Features.Get<CaseAccessFeature>();
}

/// <summary>
/// ACCESS-LOG, written in one place at the HTTP edge: for every endpoint that shows case details, the answer is held
/// back (in memory, spilling to a temporary file when large, so a streamed history does not grow the heap) until the
/// access records of what it shows are committed. No read goes out unlogged: if the log cannot be written, the
/// answer is discarded and the caller gets 503. Refused and not-found attempts are logged too.
/// </summary>
public sealed class AccessLogMiddleware(RequestDelegate next, IDocumentStore store, IClock clock, ILogger<AccessLogMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<EndpointDefinition>()?.EndpointType is not { } type || !typeof(ILogsCaseAccess).IsAssignableFrom(type))
        {
            await next(http);
            return;
        }

        var feature = new CaseAccessFeature();
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

        var caseIds = feature.Shown.Count > 0 ? feature.Shown
            : http.GetRouteValue("id") is string id && Guid.TryParse(id, out var caseId) ? [caseId] : [];
        if (caseIds.Count > 0 && http.User.Identity?.IsAuthenticated == true)
        {
            await RecordAsync(http, endpoint, caseIds, feature.How);
        }
        await buffer.DrainBufferAsync(original.Writer, CancellationToken.None);
    }

    private async Task RecordAsync(HttpContext http, Endpoint endpoint, List<Guid> caseIds, string? how)
    {
        var actor = http.User.ToActor();
        var now = clock.GetCurrentInstant();
        var status = http.Response.StatusCode;
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
