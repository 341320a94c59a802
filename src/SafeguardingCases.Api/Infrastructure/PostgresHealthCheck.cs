using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Infrastructure;

/// <summary>
/// Ready when PostgreSQL answers a query within two seconds, through the API's own connection pool. After a database
/// restart the pool may hand out a connection that died with the old server: the first failure is answered by one
/// more try on a fresh connection, so a stale pooled connection never makes a healthy database look down.
/// </summary>
public sealed class PostgresHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                await using var command = db.CreateCommand("select 1");
                await command.ExecuteScalarAsync(timeout.Token);
                return HealthCheckResult.Healthy("PostgreSQL answers.");
            }
            catch (Exception e) when (e is OperationCanceledException || DatabaseFailures.IsTransient(e) || e is NpgsqlException)
            {
                if (attempt == 1 && !cancellationToken.IsCancellationRequested) continue;
                // No exception in the result: health answers are anonymous, and an exception can name the host.
                return HealthCheckResult.Unhealthy("PostgreSQL does not answer.");
            }
        }
    }
}
