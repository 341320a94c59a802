using FastEndpoints;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>A registered endpoint as leads see it: never its secrets.</summary>
public sealed record WebhookView(Guid WebhookId, string Url, IReadOnlyList<WebhookEvent> Events, string CreatedBy, Instant CreatedAt);

public sealed record WebhookList(IReadOnlyList<WebhookView> Items);

/// <summary>GET /webhooks: the registered endpoints.</summary>
public sealed class ListWebhooksEndpoint(IQuerySession session) : EndpointWithoutRequest<WebhookList>
{
    public override void Configure()
    {
        Get("/webhooks");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<WebhookList>("Webhooks", "The registered webhook endpoints (never their secrets)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var all = await session.Query<WebhookEndpoint>().OrderBy(w => w.CreatedAt).ToListAsync(ct);
        await EndpointResults.SendJsonAsync(HttpContext,
            new WebhookList([.. all.Select(w => new WebhookView(w.Id, w.Url, w.Events, w.CreatedBy, w.CreatedAt))]), StatusCodes.Status200OK);
    }
}
