using Marten;
using Mediator;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;

namespace SafeguardingCases.Api.Infrastructure.Messaging;

/// <summary>A query that reads one case; every such read is recorded in the access log.</summary>
public interface ICaseRead
{
    Guid CaseId { get; }
}

/// <summary>One read of a case: who, when, which case, which route, and whether the case was there.</summary>
public sealed class CaseAccessRecord
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public string Subject { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Roles { get; set; } = [];
    public string Route { get; set; } = "";
    public Instant At { get; set; }
    public long AtUnixMs { get; set; }
    public bool Found { get; set; }
}

/// <summary>
/// Records every case read (view, history, as-of, policy, integrity) as a document outside the case's stream, so
/// reading never changes the case's version. Recorded even when the read fails or finds nothing: an attempt to read
/// a case is itself something an auditor may need to see.
/// </summary>
public sealed class AccessLogBehavior<TMessage, TResponse>(IHttpContextAccessor accessor, IDocumentStore store, IClock clock, ILogger<AccessLogBehavior<TMessage, TResponse>> logger)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, ICaseRead, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        TResponse response;
        try
        {
            response = await next(message, cancellationToken);
        }
        catch
        {
            await RecordAsync(message.CaseId, found: false);
            throw;
        }

        try
        {
            await RecordAsync(message.CaseId, response is not null);
        }
        catch
        {
            // No read goes out unlogged: release what the read holds (a history keeps a database snapshot open).
            if (response is IAsyncDisposable disposable) await disposable.DisposeAsync();
            throw;
        }
        return response;
    }

    private async Task RecordAsync(Guid caseId, bool found)
    {
        var http = accessor.HttpContext;
        var actor = http?.User.Identity?.IsAuthenticated == true ? http.User.ToActor() : null;
        var endpoint = http?.GetEndpoint() as RouteEndpoint;
        var now = clock.GetCurrentInstant();
        await using var session = store.LightweightSession();
        session.Insert(new CaseAccessRecord
        {
            Id = Guid.NewGuid(),
            CaseId = caseId,
            Subject = actor?.Subject ?? "unknown",
            Name = actor?.Name ?? "unknown",
            Roles = [.. actor?.Roles ?? []],
            Route = $"{http?.Request.Method} /{endpoint?.RoutePattern.RawText?.TrimStart('/') ?? http?.Request.Path.Value}",
            At = now,
            AtUnixMs = now.ToUnixTimeMilliseconds(),
            Found = found,
        });
        // The log must not be lost silently; the read itself has already happened, so a failure here is logged loudly.
        try
        {
            await session.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e) when (Persistence.DatabaseFailures.IsTransient(e))
        {
            // No staff identifier in the log: the trace id leads to the request.
            logger.LogWarning("Could not record a read of case {CaseId} ({Error}); the read is refused", caseId, e.GetType().Name);
            throw;
        }
    }
}
