using NodaTime;
using Npgsql;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// Gaps in the event store's global sequence, settled exactly. Every append takes its number inside a transaction (the
/// group statement's implicit one, or Marten's), so a number missing when first seen is held by a transaction alive at
/// that moment, or by none: the gap is settled once every transaction of the API's own role (the only one that appends)
/// alive then has ended and the numbers are still absent. Never a timeout, so a reader that moves past a settled gap
/// (the ledger's checkpoints, the webhook feed) never misses a commit that lands late. One instance per reader: it
/// remembers, per gap, when it was first seen and who could still fill it.
/// </summary>
public sealed class SequenceGaps(NpgsqlDataSource db, IClock clock, Duration warnAfter, ILogger logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (Instant Seen, HashSet<(int Pid, DateTime Started)> Holders)> seen = new();

    /// <summary>How many gaps are remembered (for tests: a reader that has moved past a gap forgets it).</summary>
    public int Count => seen.Count;

    /// <summary>
    /// Forgets every gap at or below <paramref name="sequence"/>: the reader has moved past it (settled, or filled by a
    /// commit that landed late, which no later read would look at again).
    /// </summary>
    public void ForgetThrough(long sequence)
    {
        foreach (var start in seen.Keys)
            if (start <= sequence) seen.TryRemove(start, out _);
    }

    /// <summary>
    /// Whether the numbers between <paramref name="before"/> and <paramref name="after"/> can never be filled.
    /// <paramref name="exceptPid"/> is a backend of the caller's own that holds a transaction open and appends nothing.
    /// </summary>
    public async Task<bool> SettledAsync(long before, long after, int? exceptPid, CancellationToken ct)
    {
        var alive = new HashSet<(int Pid, DateTime Started)>();
        await using (var activity = db.CreateCommand(
            "select pid, xact_start from pg_stat_activity where datname = current_database() and usename = current_user " +
            "and xact_start is not null and pid <> pg_backend_pid() and pid <> $1"))
        {
            activity.Parameters.AddWithValue(exceptPid ?? 0);
            await using var rows = await activity.ExecuteReaderAsync(ct);
            while (await rows.ReadAsync(ct)) alive.Add((rows.GetInt32(0), rows.GetDateTime(1)));
        }
        var now = clock.GetCurrentInstant();
        var gap = seen.GetOrAdd(before + 1, _ => (now, alive));
        gap.Holders.IntersectWith(alive);
        if (gap.Holders.Count > 0)
        {
            if (now - gap.Seen > warnAfter)
                logger.LogWarning("A gap in the event sequence has been held open by {Count} transaction(s) for {Seconds:F0} s; readers stop before it",
                    gap.Holders.Count, (now - gap.Seen).TotalSeconds);
            return false;
        }
        await using var filled = db.CreateCommand($"select exists (select 1 from {MartenSetup.EventsTable} where seq_id > $1 and seq_id < $2)");
        filled.Parameters.AddWithValue(before);
        filled.Parameters.AddWithValue(after);
        // Its holders ended between the read and now: if one committed, its events are there; read them next time.
        if (await filled.ExecuteScalarAsync(ct) is true) return false;
        seen.TryRemove(before + 1, out _);
        return true;
    }

    /// <summary>
    /// The highest sequence number through which the store is whole after <paramref name="after"/>: every number taken
    /// up to it is committed or can never be. Reads the numbers alone (the primary key), at most
    /// <paramref name="limit"/> of them.
    /// </summary>
    public async Task<long> WholeThroughAsync(long after, int limit, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"select seq_id from {MartenSetup.EventsTable} where seq_id > $1 order by seq_id limit $2");
        command.Parameters.AddWithValue(after);
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var previous = after;
        while (await reader.ReadAsync(ct))
        {
            var sequence = reader.GetInt64(0);
            if (sequence != previous + 1 && !await SettledAsync(previous, sequence, null, ct)) break;
            previous = sequence;
        }
        ForgetThrough(previous);
        return previous;
    }
}
