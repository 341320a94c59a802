using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Infrastructure.Persistence;
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
/// after the feed's position on each sweep and queued for every endpoint that takes them. The position moves only as
/// far as the store is whole (<see cref="SequenceGaps"/>): past a number some live transaction may still commit, it
/// waits, so a commit that lands late (its number taken before, its commit after, others' events read meanwhile) is
/// read when it lands, however many events went past it. A delivery's id is the event and the endpoint, so one queued
/// already (by another instance's sweep) is not queued again. The feed starts at the store's end, and an endpoint
/// takes only events from after it was registered: registering one never replays history.
/// </summary>
public sealed class CaseEventFeed(IDocumentStore store, Npgsql.NpgsqlDataSource db, IClock clock, NotificationOptions options, ILogger<CaseEventFeed> logger)
{
    /// <summary>How many sequence numbers one look at the store reads (the numbers alone, from the primary key).</summary>
    public const int NumbersPerRead = 50_000;

    /// <summary>At most this many reads of numbers a sweep (a million events); the next sweep goes on from there.</summary>
    public const int ReadsPerSweep = 20;

    private readonly SequenceGaps gaps = new(db, clock, Duration.FromMinutes(1), logger);

    /// <summary>How many gaps ahead of its position the feed is waiting on (for tests: none once it has moved past them).</summary>
    public int GapsRemembered => gaps.Count;

    public async Task<int> QueueNewAsync(Instant now, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var position = await session.LoadAsync<WebhookFeedPosition>("case-events", ct);
        var endpoints = await session.Query<WebhookEndpoint>().ToListAsync(ct);
        if (position is null || endpoints.Count == 0)
        {
            // The first sweep, or nothing subscribes: nothing to wait for. The feed starts at the end of the store.
            var end = await session.Events.QueryAllRawEvents().OrderByDescending(e => e.Sequence).Select(e => e.Sequence).FirstOrDefaultAsync(ct);
            session.Store(new WebhookFeedPosition { LastSequence = Math.Max(end, position?.LastSequence ?? 0) });
            await session.SaveChangesAsync(ct);
            return 0;
        }

        var from = position.LastSequence;
        var through = from;
        for (var read = 0; read < ReadsPerSweep; read++)
        {
            var next = await gaps.WholeThroughAsync(through, NumbersPerRead, ct);
            if (next == through) break;
            through = next;
        }
        if (through == from) return 0;
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.Sequence > from && e.Sequence <= through && (e.EventTypeName == "escalation_made" || e.EventTypeName == "case_closed"))
            .OrderBy(e => e.Sequence).Take(options.ReadSize).ToListAsync(ct);
        // At most ReadSize events a sweep (a lead closing thousands of cases at once): the rest next sweep, from the last
        // one taken (the store is whole up to it).
        if (events.Count == options.ReadSize) through = events[^1].Sequence;
        // An endpoint takes what happened after it was registered.
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
        position.LastSequence = through;
        session.Store(position);
        await session.SaveChangesAsync(ct);
        return queued;
    }

    private static WebhookEvent TypeOf(JasperFx.Events.IEvent e) => e.Data is EscalationMade ? WebhookEvent.EscalationMade : WebhookEvent.CaseClosed;

    private static string What(JasperFx.Events.IEvent e) => $"event:{e.Id:N}";
}
