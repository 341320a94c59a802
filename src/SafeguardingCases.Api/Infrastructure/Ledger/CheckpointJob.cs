using Npgsql;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// Signs a checkpoint every <c>Ledger__CheckpointInterval</c>, on one instance at a time: the instance that holds a
/// PostgreSQL advisory lock (released with its connection if it dies) does the work; the others skip the round.
/// </summary>
public sealed class CheckpointJob(EventLedger ledger, NpgsqlDataSource db, LedgerOptions options, ILogger<CheckpointJob> logger) : BackgroundService
{
    /// <summary>The advisory lock key that elects the checkpoint writer ("SGCLEDGR").</summary>
    public const long LockKey = 0x5347434C45444752;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval.ToTimeSpan());
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                await using var take = new NpgsqlCommand("select pg_try_advisory_lock($1)", connection);
                take.Parameters.AddWithValue(LockKey);
                if (await take.ExecuteScalarAsync(stoppingToken) is not true) continue;
                try
                {
                    await ledger.MakeCheckpointAsync(stoppingToken);
                }
                finally
                {
                    await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
                    release.Parameters.AddWithValue(LockKey);
                    await release.ExecuteScalarAsync(CancellationToken.None);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not sign a checkpoint this round ({Error}); will try again.", e.GetType().Name);
            }
        }
    }
}
