using FastEndpoints;
using FluentValidation;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>One delivery as leads see it: what, when, how it went (never the receiver's answer).</summary>
public sealed record WebhookDeliveryView(Guid DeliveryId, string WebhookMessageId, WebhookEvent Type, Instant CreatedAt, int Attempts,
    Instant? DeliveredAt, int? LastStatus, string? LastError, Instant? NextAttemptAt, bool GaveUp)
{
    public static WebhookDeliveryView From(WebhookDelivery d) => new(d.Id, d.MessageId, d.Type, Instant.FromUnixTimeMilliseconds(d.CreatedAtUnixMs), d.Attempts,
        d.DeliveredAtUnixMs is { } at ? Instant.FromUnixTimeMilliseconds(at) : null, d.LastStatus, d.LastError,
        d.NextAttemptAtUnixMs is { } next ? Instant.FromUnixTimeMilliseconds(next) : null, d.GaveUp);
}

public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryView> Items, string? Next);

public sealed class WebhookDeliveriesRequest
{
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class WebhookDeliveriesValidator : Validator<WebhookDeliveriesRequest>
{
    public WebhookDeliveriesValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, 200);
        RuleFor(x => x.Cursor).Must(c => c is null || Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>GET /webhooks/{id}/deliveries: an endpoint's deliveries, newest first, cursor-paged.</summary>
public sealed class ListWebhookDeliveriesEndpoint(IQuerySession session) : Endpoint<WebhookDeliveriesRequest, WebhookDeliveryList>
{
    public override void Configure()
    {
        Get("/webhooks/{id}/deliveries");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<WebhookDeliveryList>("Webhooks", "A webhook endpoint's deliveries, newest first (cursor paging with limit and cursor)", onCase: false)
            .Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(WebhookDeliveriesRequest req, CancellationToken ct)
    {
        if (await WebhookRoutes.FindAsync(session, HttpContext, ct) is not { } endpoint) return;
        var limit = req.Limit ?? 50;
        var query = session.Query<WebhookDelivery>().Where(d => d.WebhookId == endpoint.Id);
        if (req.Cursor is not null && Cursor.Decode(req.Cursor) is { } key && Cursor.Parse(key) is var (ms, id))
            query = query.Where(d => d.CreatedAtUnixMs < ms || (d.CreatedAtUnixMs == ms && d.Id.CompareTo(id) < 0));
        var rows = await query.OrderByDescending(d => d.CreatedAtUnixMs).ThenByDescending(d => d.Id).Take(limit + 1).ToListAsync(ct);
        string? next = null;
        if (rows.Count > limit)
        {
            var last = rows[limit - 1];
            next = Cursor.Encode(Cursor.Key(Instant.FromUnixTimeMilliseconds(last.CreatedAtUnixMs), last.Id));
        }
        await EndpointResults.SendJsonAsync(HttpContext, new WebhookDeliveryList([.. rows.Take(limit).Select(WebhookDeliveryView.From)], next), StatusCodes.Status200OK);
    }
}

/// <summary>POST /webhooks/{id}/deliveries/{deliveryId}/redelivery: send it again now, with the same webhook-id.</summary>
public sealed class RedeliverWebhookEndpoint(IDocumentSession session, IClock clock, OffCaseIdempotency idempotency) : EndpointWithoutRequest<WebhookDeliveryView>
{
    public override void Configure()
    {
        Post("/webhooks/{id}/deliveries/{deliveryId}/redelivery");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<WebhookDeliveryView>("Webhooks", "Deliver again now, with the same webhook-id (for three more days if it keeps failing)", onCase: false)
            .Produces<Problem>(404, Problems.ContentType).Produces<Problem>(422, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var earlier = await idempotency.ReplayAsync(HttpContext, ct);
        if (earlier.Answered) return;
        if (await WebhookRoutes.FindAsync(session, HttpContext, ct) is not { } endpoint) return;
        var delivery = Guid.TryParse(Route<string>("deliveryId"), out var id) ? await session.LoadAsync<WebhookDelivery>(id, ct) : null;
        if (delivery is null || delivery.WebhookId != endpoint.Id)
        {
            await Problems.WriteAsync(HttpContext, Problems.Create(404, "Not found", "There is no such delivery for this endpoint."));
            return;
        }
        var now = clock.GetCurrentInstant();
        delivery.NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds();
        delivery.GiveUpAtUnixMs = (now + WebhookDelivery.GiveUpAfter).ToUnixTimeMilliseconds();
        delivery.GaveUp = false;
        session.Update(delivery);
        var answer = WebhookDeliveryView.From(delivery);
        idempotency.Remember(HttpContext, session, earlier, StatusCodes.Status200OK, answer);
        if (!await idempotency.SaveAsync(HttpContext, session, ct)) return;
        await EndpointResults.SendJsonAsync(HttpContext, answer, StatusCodes.Status200OK);
    }
}
