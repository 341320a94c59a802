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
/// already queued is not queued again. Each read takes up to <see cref="NotificationOptions.ReadSize"/> events past
/// the overlap as well, so however many of the overlap's events are subscribed to (a lead closing hundreds of cases),
/// the position moves on. The feed starts at the store's end, and an endpoint takes only events from after it was
/// registered: registering one never replays history.
/// </summary>
public sealed class CaseEventFeed(IDocumentStore store, NotificationOptions options)
{
    public const int Overlap = 1000;

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
        // At most Overlap of these are at or before the position, so a full read ends past it.
        var readSize = Overlap + options.ReadSize;
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > from && (e.EventTypeName == "escalation_made" || e.EventTypeName == "case_closed"))
            .OrderBy(e => e.Sequence).Take(readSize).ToListAsync(ct);
        // An endpoint takes what happened after it was registered: the overlap re-read is for late commits, not history.
        var wanted = events.SelectMany(e => endpoints.Where(w => w.Events.Contains(TypeOf(e)) && Instant.FromDateTimeOffset(e.Timestamp) >= w.CreatedAt)
            .Select(w => (Event: e, Endpoint: w, Id: WebhookDelivery.IdOf(What(e), w.Id)))).ToList();
        var existing = (await session.LoadManyAsync<WebhookDelivery>(ct, wanted.Select(x => x.Id))).Select(d => d.Id).ToHashSet();
        var queued = 0;
        foreach (var (e, endpoint, _) in wanted.Where(x => !existing.Contains(x.Id)))
        {
            var type = TypeOf(e);
            session.Insert(WebhookDelivery.For(endpoint, type, What(e),
                WebhookOutbox.Body(type, Instant.FromDateTimeOffset(e.Timestamp), e.StreamId, null, null, options), now));
            queued++;
        }
        position.LastSequence = Math.Max(position.LastSequence, events.Count == readSize ? events[^1].Sequence : end);
        session.Store(position);
        await session.SaveChangesAsync(ct);
        return queued;
    }

    private static WebhookEvent TypeOf(JasperFx.Events.IEvent e) => e.Data is EscalationMade ? WebhookEvent.EscalationMade : WebhookEvent.CaseClosed;

    private static string What(JasperFx.Events.IEvent e) => $"event:{e.Id:N}";
}
