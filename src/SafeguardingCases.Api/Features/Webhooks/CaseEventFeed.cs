using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>How far the feed has read the event store.</summary>
public sealed class WebhookFeedPosition
{
    public string Id { get; set; } = "case-events";
    public long LastSequence { get; set; }
}

/// <summary>
/// The case events other systems subscribe to (<c>EscalationMade</c>, <c>CaseClosed</c>), read from the event store
/// after the feed's position on each sweep and queued for every endpoint that takes them. A commit that lands late (a
/// sequence number taken before, committed after, the feed read past it) is still found: each read goes back
/// <see cref="Overlap"/> numbers before its position, and a delivery's id is the event and the endpoint, so one
/// already queued is not queued again. The feed starts at the store's end: registering an endpoint never replays history.
/// </summary>
public sealed class CaseEventFeed(IDocumentStore store, NotificationOptions options)
{
    public const int Overlap = 1000;
    public const int BatchSize = 500;

    public async Task<int> QueueNewAsync(Instant now, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var position = await session.LoadAsync<WebhookFeedPosition>("case-events", ct);
        var end = await session.Events.QueryAllRawEvents().OrderByDescending(e => e.Sequence).Select(e => e.Sequence).FirstOrDefaultAsync(ct);
        if (position is null)
        {
            session.Store(new WebhookFeedPosition { LastSequence = end });
            await session.SaveChangesAsync(ct);
            return 0;
        }
        var endpoints = await session.Query<WebhookEndpoint>().ToListAsync(ct);
        if (endpoints.Count == 0)
        {
            position.LastSequence = end;
            session.Store(position);
            await session.SaveChangesAsync(ct);
            return 0;
        }

        var from = Math.Max(0, position.LastSequence - Overlap);
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > from && (e.EventTypeName == "escalation_made" || e.EventTypeName == "case_closed"))
            .OrderBy(e => e.Sequence).Take(BatchSize).ToListAsync(ct);
        var queued = 0;
        foreach (var e in events)
        {
            var type = e.Data is EscalationMade ? WebhookEvent.EscalationMade : WebhookEvent.CaseClosed;
            var what = $"event:{e.Id:N}";
            var subscribed = endpoints.Where(w => w.Events.Contains(type)).ToList();
            var existing = (await session.LoadManyAsync<WebhookDelivery>(ct, subscribed.Select(w => WebhookDelivery.IdOf(what, w.Id)))).Select(d => d.Id).ToHashSet();
            var body = WebhookOutbox.Body(type, Instant.FromDateTimeOffset(e.Timestamp), e.StreamId, null, null, options);
            foreach (var endpoint in subscribed.Where(w => !existing.Contains(WebhookDelivery.IdOf(what, w.Id))))
            {
                session.Insert(WebhookDelivery.For(endpoint, type, what, body, now));
                queued++;
            }
        }
        position.LastSequence = Math.Max(position.LastSequence, events.Count == BatchSize ? events[^1].Sequence : end);
        session.Store(position);
        await session.SaveChangesAsync(ct);
        return queued;
    }
}
