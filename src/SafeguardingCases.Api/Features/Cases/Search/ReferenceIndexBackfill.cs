using Marten;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Features.Cases.Search;

/// <summary>
/// Gives the list rows written before the reference index existed their index values, so the search finds every case,
/// not only those changed since: at start-up, in batches of <see cref="BatchSize"/>, each row's values from its case
/// as stored (opened with its key; a destroyed case has none), written only where the row still has none, so a
/// command committing meanwhile (whose row carries its own values) is never overwritten. Any instance may run it; two
/// at once write the same values. A database outage postpones it a minute.
/// </summary>
public sealed class ReferenceIndexBackfill(IDocumentStore store, NpgsqlDataSource db, Infrastructure.Privacy.CaseKeyRing keys,
    ILogger<ReferenceIndexBackfill> logger) : BackgroundService
{
    public const int BatchSize = 500;

    /// <summary>How long it waits after a failure before it runs again (a minute; the fault tests make it short).</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var indexed = await RunOnceAsync(stoppingToken);
                if (indexed > 0) logger.LogInformation("Reference index: {Rows} case list rows written before it now have their values", indexed);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not index the references of older cases ({Error}); will try again in {RetryAfter}", e.GetType().Name, RetryAfter);
                await Task.Delay(RetryAfter, stoppingToken);
            }
        }
    }

    /// <summary>Every row without index values gets them. Returns how many rows it wrote.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        var total = 0;
        var key = ReferenceIndex.Key(store, keys);
        while (true)
        {
            var ids = new List<Guid>();
            await using (var pending = db.CreateCommand(
                $"select id from {MartenSetup.CaseSummaryTable} where data -> '{ReferenceIndex.Member}' is null order by id limit {BatchSize}"))
            await using (var reader = await pending.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
            }
            if (ids.Count == 0) return total;
            await using var session = store.QuerySession();
            await keys.PrepareAsync(ids, ct);
            var cases = (await session.LoadManyAsync<CaseStream>(ct, ids)).ToDictionary(c => c.Id);
            await using var batch = db.CreateBatch();
            foreach (var id in ids)
            {
                // A row without its case (written by hand) gets no values, so it is not looked at again.
                var values = cases.TryGetValue(id, out var stream) ? ReferenceIndex.Of(stream.State, key) : [];
                batch.BatchCommands.Add(new NpgsqlBatchCommand(
                    $"update {MartenSetup.CaseSummaryTable} set data = jsonb_set(data, '{{{ReferenceIndex.Member}}}', $2::jsonb) " +
                    $"where id = $1 and data -> '{ReferenceIndex.Member}' is null")
                {
                    Parameters = { new() { Value = id }, new() { Value = System.Text.Json.JsonSerializer.Serialize(values) } },
                });
            }
            await batch.ExecuteNonQueryAsync(ct);
            total += ids.Count;
            // Operators see it move on a large store (until it ends, a search may miss a case not changed since).
            if (total % 10_000 == 0) logger.LogInformation("Reference index: {Rows} older case list rows indexed so far", total);
        }
    }
}
