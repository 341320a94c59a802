using FastEndpoints;
using Marten;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>DELETE /webhooks/{id}: the endpoint receives nothing more (deliveries still waiting are given up); answers what was deleted.</summary>
public sealed class DeleteWebhookEndpoint(IDocumentSession session) : EndpointWithoutRequest<WebhookView>
{
    public override void Configure()
    {
        Delete("/webhooks/{id}");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<WebhookView>("Webhooks", "Delete a webhook endpoint: it receives nothing more", onCase: false)
            .Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (await WebhookRoutes.FindAsync(session, HttpContext, ct) is not { } endpoint) return;
        session.Delete(endpoint);
        await session.SaveChangesAsync(ct);
        await EndpointResults.SendJsonAsync(HttpContext, new WebhookView(endpoint.Id, endpoint.Url, endpoint.Events, endpoint.CreatedBy, endpoint.CreatedAt),
            StatusCodes.Status200OK);
    }
}

/// <summary>The endpoint a <c>/webhooks/{id}</c> route names, or a 404 written.</summary>
public static class WebhookRoutes
{
    public static async Task<WebhookEndpoint?> FindAsync(IQuerySession session, HttpContext http, CancellationToken ct)
    {
        var endpoint = Guid.TryParse(http.Request.RouteValues["id"]?.ToString(), out var id) ? await session.LoadAsync<WebhookEndpoint>(id, ct) : null;
        if (endpoint is null) await Problems.WriteAsync(http, Problems.Create(404, "Not found", "There is no such webhook endpoint."));
        return endpoint;
    }
}
