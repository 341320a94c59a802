using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// Keeps the two tables that grow with use, not with cases, from growing for ever: Idempotency-Key answers once they
/// expire (<c>Idempotency__Expiry</c>), and access-log records older than <c>AccessLog__Retention</c> (default seven
/// years, the usual retention of safeguarding records; set it to your own policy). Every
/// <c>Retention__Interval</c> (default one hour) each is deleted in batches of 10,000 on its time index, so a first
/// run over years of records never holds a long lock. Any instance may run it; deleting twice is harmless.
/// </summary>
public sealed class RetentionCleanup(NpgsqlDataSource db, IClock clock, IConfiguration configuration, ILogger<RetentionCleanup> logger) : BackgroundService
{
    public const int BatchSize = 10_000;
    public const string AccessLogTable = "public.mt_doc_caseaccessrecord";
    public const string IdempotencyTable = "public.mt_doc_idempotencyrecord";

    public Duration AccessLogRetention { get; } = Settings.ReadDuration(configuration, "AccessLog:Retention") ?? Duration.FromDays(2557);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = Settings.ReadDuration(configuration, "Retention:Interval") ?? Duration.FromHours(1);
        using var timer = new PeriodicTimer(every.ToTimeSpan());
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var (keys, reads) = await RunOnceAsync(stoppingToken);
                if (keys + reads > 0) logger.LogInformation("Retention: deleted {Keys} expired idempotency keys and {Reads} access-log records", keys, reads);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not apply retention ({Error}); will try again next interval", e.GetType().Name);
            }
        }
    }

    /// <summary>One pass: every expired key and every access record past retention, in batches. Returns what it deleted.</summary>
    public async Task<(long Keys, long Reads)> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var keys = await DeleteAsync(IdempotencyTable, "expiresAtUnixMs", now.ToUnixTimeMilliseconds(), ct);
        var reads = await DeleteAsync(AccessLogTable, "atUnixMs", (now - AccessLogRetention).ToUnixTimeMilliseconds(), ct);
        return (keys, reads);
    }

    private async Task<long> DeleteAsync(string table, string field, long before, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            // The same expression as Marten's computed index on the field, so each batch is an index range scan.
            await using var command = db.CreateCommand(
                $"delete from {table} where id in (select id from {table} where (data ->> '{field}')::bigint < $1 limit {BatchSize})");
            command.Parameters.AddWithValue(before);
            int deleted;
            try
            {
                deleted = await command.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                return total;
            }
            total += deleted;
            if (deleted < BatchSize) return total;
        }
    }
}
