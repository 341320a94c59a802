using System.Net.Sockets;
using JasperFx;
using Npgsql;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// Classifies what the database threw, whatever wraps it (Marten wraps Npgsql's exceptions in its own): a transient
/// failure (unreachable, restarting, out of connections: retry, or answer 503) or a lost race (a version, stream id or
/// unique key another writer took first).
/// </summary>
public static class DatabaseFailures
{
    /// <summary>The SQLSTATE Marten's append function raises when a stream is not at the expected version.</summary>
    public const string StreamVersionMismatch = "MT003";

    public static bool IsTransient(Exception exception) => Causes(exception).Any(e => e switch
    {
        PostgresException pg => IsTransientState(pg.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient,
        SocketException or TimeoutException or EndOfStreamException => true,
        IOException => true,
        _ => false,
    });

    public static bool IsConflict(Exception exception) => Causes(exception).Any(e => e switch
    {
        ConcurrencyException or DocumentAlreadyExistsException => true,
        JasperFx.Events.ExistingStreamIdCollisionException or Marten.Exceptions.ExistingStreamIdCollisionException => true,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or StreamVersionMismatch } => true,
        _ => false,
    });

    /// <summary>
    /// Connection failures (class 08), the server shutting down or starting (57P01-57P03), out of resources (53),
    /// system errors (58), and serialisation failures and deadlocks, which a retry of the whole unit resolves.
    /// </summary>
    private static bool IsTransientState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
        || state.StartsWith("58", StringComparison.Ordinal)
        || state is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;

    private static IEnumerable<Exception> Causes(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Causes)) yield return inner;
                yield break;
            }
            yield return e;
        }
    }
}
