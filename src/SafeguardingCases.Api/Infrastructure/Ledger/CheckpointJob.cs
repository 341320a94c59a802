namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// Signs a checkpoint every <c>Ledger__CheckpointInterval</c>. Every instance runs it; <see cref="EventLedger"/> signs
/// under a PostgreSQL advisory lock, so one instance at a time does the work and the others find nothing new.
/// </summary>
public sealed class CheckpointJob(EventLedger ledger, LedgerOptions options, ILogger<CheckpointJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckpointInterval.ToTimeSpan());
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ledger.MakeCheckpointAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not sign a checkpoint this round ({Error}); will try again.", e.GetType().Name);
            }
        }
    }
}
