using Marten;
using Microsoft.Extensions.Caching.Memory;
using NodaTime;
using Npgsql;
using NpgsqlTypes;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Http;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>A case as a command reads it: the stored document and the stream's version, in one round trip.</summary>
public sealed record LoadedCase(CaseStream Stream, long Version)
{
    /// <summary>The document was written with the stream's last event (always, unless written by hand).</summary>
    public bool InSync => Stream.State.Version == Version;
}

/// <summary>How one command's append ended in its group's statement.</summary>
public enum AppendStatus
{
    Appended,

    /// <summary>The case's version was no longer the one the command was decided on (or the case does not exist).</summary>
    VersionMoved,

    /// <summary>Another request with the same Idempotency-Key committed first (and its answer has not expired).</summary>
    KeyTaken,
}

/// <summary>One event, ready to be stored: its id, version, Marten's type names, JSON and hash header.</summary>
public sealed record PendingEvent(Guid Id, long Version, string TypeAlias, string DotNetType, string Json, string HeadersJson);

/// <summary>
/// A staged command (<see cref="StagedCommand"/>) as the group statement writes it, each part already serialized (by
/// <see cref="CaseAppendQueue.Prepare"/>, on the request's own thread, so nothing one command carries can fail the
/// group's statement before it reaches PostgreSQL).
/// </summary>
public sealed record CaseAppend(StagedCommand Staged, IReadOnlyList<PendingEvent> Events, string AfterJson, string SummaryJson, string? AnswerJson)
{
    public Guid CaseId => Staged.CaseId;
    public string? AnswerId => Staged.Answer?.Id;
}

/// <summary>
/// Group commit for case commands. Commands whose whole effect is their events, the case document, the list row and
/// the Idempotency-Key's answer (notes, disclosures, assessments, plans, persons... everything but the decisions
/// and grants that also feed audit tables) are queued here and committed together: whatever is waiting when a
/// worker is free goes in one SQL statement, which locks the cases' stream rows in id order, keeps only the commands
/// whose case is still at the version they were decided on and whose key is free, and writes those commands' rows
/// with one multi-row insert or update per table. One statement is one implicit transaction: each command's effect
/// and its remembered answer commit together or not at all, and a command that is left out appends nothing.
/// <para>
/// Why not Marten's SaveChanges for these: it commits one command per transaction in three round trips and about
/// ten statements (its append function per stream, an upsert per document, BEGIN, COMMIT), and PostgreSQL's cost
/// per statement, not per row, was most of a note's cost (issue 8's write benchmark). The rows written here are
/// Marten's own (same tables, columns, type names and serializer), so every read through Marten sees them as its own;
/// commands that feed Marten's other projections still commit through Marten (<see cref="CaseCommandRunner"/>).
/// </para>
/// </summary>
public sealed class CaseAppendQueue : IAsyncDisposable
{
    /// <summary>The most commands in one statement.</summary>
    public const int MaxGroup = 64;

    private readonly NpgsqlDataSource dataSource;
    private readonly IDocumentStore store;
    private readonly ILogger<CaseAppendQueue> logger;
    private readonly System.Threading.Channels.Channel<Pending> queue = System.Threading.Channels.Channel.CreateUnbounded<Pending>(new System.Threading.Channels.UnboundedChannelOptions { SingleWriter = false });
    private readonly Task[] workers;
    private readonly GroupCommitStatement? statement;
    private readonly string caseStreamType = typeof(CaseStream).FullName!;
    private readonly string summaryType = typeof(CaseSummary).FullName!;
    private readonly string answerType = typeof(IdempotencyRecord).FullName!;
    private readonly ICaseAppendListener[] listeners;
    private readonly IClock clock;
    private readonly Telemetry.SafeguardingMetrics metrics;

    /// <summary>
    /// The cases this process committed last, so the next command on one needs no read. Bounded (a few KB a case) and
    /// forgotten when unused; Microsoft.Extensions.Caching.Memory's cache, not one of our own.
    /// </summary>
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = RememberedCases });

    /// <summary>How many cases this process remembers at most.</summary>
    public const int RememberedCases = 10_000;

    private static readonly MemoryCacheEntryOptions RememberFor = new() { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(5) };
    private Task? tablesReady;

    public CaseAppendQueue(NpgsqlDataSource dataSource, IDocumentStore store, IClock clock, IEnumerable<ICaseAppendListener> listeners,
        Telemetry.SafeguardingMetrics metrics, Microsoft.Extensions.Options.IOptions<CommandOptions> options, ILogger<CaseAppendQueue> logger)
    {
        // Checked when the API starts (Program resolves the queue before it serves): a configuration the statement
        // cannot write for stops start-up with one line. Commands__GroupCommit=false commits every command through Marten.
        statement = options.Value.GroupCommit ? GroupCommitStatement.For(store.Options) : null;
        this.metrics = metrics;
        this.clock = clock;
        this.listeners = [.. listeners];
        this.dataSource = dataSource;
        this.store = store;
        this.logger = logger;
        workers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(WorkAsync))];
    }

    /// <summary>
    /// How many groups this process has in PostgreSQL at once. One: while a group is in PostgreSQL the next one
    /// gathers, and bigger groups cost PostgreSQL less a command (write benchmark, before cases were remembered: one
    /// worker 2,317–3,120 notes/s, two 2,041–2,547, three 2,523–2,587; after, one and two within the noise).
    /// Groups from other API processes run beside it:
    /// each locks its cases' rows in id order, so they never deadlock, and a command on a case another group
    /// changed first finds the version moved and is decided again.
    /// </summary>
    public const int Workers = 1;

    /// <summary>
    /// The case as this process last committed it, if it still remembers it; null otherwise. A remembered case may
    /// be stale (another API process may have written since): a command decided on it commits only if the case is
    /// still at that version, and a refusal decided on it is decided again on the case read from the database.
    /// </summary>
    public LoadedCase? Remembered(Guid caseId) => cache.TryGetValue(caseId, out LoadedCase? remembered) ? remembered : null;

    /// <summary>Forgets what this process remembers of a case (its version moved, or it was written some other way).</summary>
    public void Forget(Guid caseId) => cache.Remove(caseId);

    /// <summary>The case and its stream version in one statement; null when there is no such case.</summary>
    public async Task<LoadedCase?> LoadAsync(Guid caseId, CancellationToken ct)
    {
        await EnsureTablesAsync(ct);
        await using var command = dataSource.CreateCommand(
            $"select s.version, d.data from {MartenSetup.StreamsTable} s left join {MartenSetup.CaseStreamTable} d on d.id = s.id where s.id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = caseId });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct) || reader.IsDBNull(0)) return null;
        var version = reader.GetInt64(0);
        if (reader.IsDBNull(1)) return new LoadedCase(new CaseStream { Id = caseId }, version);
        var stream = store.Options.Serializer().FromJson<CaseStream>(reader, 1);
        return new LoadedCase(stream, version);
    }

    private void Remember(CaseAppend committed) =>
        cache.Set(committed.CaseId, new LoadedCase(committed.Staged.After, committed.Staged.VersionAfter), RememberFor);

    /// <summary>Whether the group statement commits these events (the others feed Marten's other projections).</summary>
    public bool Commits(IReadOnlyList<StagedEvent> events) => statement is not null && events.All(e => !statement.MartenOnlyEvents.Contains(e.Data.GetType()));

    /// <summary>
    /// Queues a command's writes and waits for its group's statement. Once queued, the commit is not cancelled: it
    /// lands or fails on its own. <paramref name="decisions"/>: how many times the command has been decided (a command
    /// decided again after losing goes before newer ones on its case). A failure of the statement is thrown to every command of the group (a lost
    /// connection leaves each one to check whether its events landed).
    /// </summary>
    public Task<AppendStatus> AppendAsync(CaseAppend append, int decisions = 1)
    {
        var pending = new Pending(append, new TaskCompletionSource<AppendStatus>(TaskCreationOptions.RunContinuationsAsynchronously), decisions);
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(CaseAppendQueue), "The API is shutting down.");
        return pending.Done.Task;
    }

    /// <summary>A staged command's writes, serialized as Marten serializes them.</summary>
    public CaseAppend Prepare(StagedCommand staged)
    {
        var serializer = store.Options.Serializer();
        var events = ((Marten.Events.EventGraph)((StoreOptions)store.Options).Events);
        return new CaseAppend(staged, [.. staged.Events.Select(e =>
            {
                var mapping = events.EventMappingFor(e.Data.GetType());
                // The headers Marten writes for the hash header alone (the hash is lower-case hex: nothing to escape).
                return new PendingEvent(e.Id, e.Version, mapping.EventTypeName, mapping.DotNetTypeName, e.Json,
                    $$"""{"{{EventHashChain.Header}}":"{{e.Hash}}"}""");
            })],
            serializer.ToJson(staged.After), serializer.ToJson(staged.Summary), staged.Answer is null ? null : serializer.ToJson(staged.Answer));
    }

    private Task EnsureTablesAsync(CancellationToken ct)
    {
        // Marten remembers what it checked; this keeps the check to the first command on a new database.
        return tablesReady is { IsCompletedSuccessfully: true } ? Task.CompletedTask : (tablesReady = EnsureAsync());

        async Task EnsureAsync()
        {
            await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
            await store.Storage.Database.EnsureStorageExistsAsync(typeof(CaseSummary), ct);
            await store.Storage.Database.EnsureStorageExistsAsync(typeof(IdempotencyRecord), ct);
        }
    }

    private async Task WorkAsync()
    {
        var reader = queue.Reader;
        var carried = new List<Pending>();
        var group = new List<Pending>(MaxGroup);
        var cases = new HashSet<Guid>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (carried.Count > 0 || await reader.WaitToReadAsync())
        {
            group.Clear();
            cases.Clear();
            keys.Clear();
            while (reader.TryRead(out var next)) carried.Add(next);
            // The commands decided most often first (stable: otherwise in arrival order), so a command that lost to
            // others on its case goes before the ones that arrived after it: in order, and none is starved.
            var waiting = carried.OrderByDescending(p => p.Decisions).ToArray();
            carried.Clear();
            foreach (var pending in waiting) Take(pending);
            if (group.Count == 0) continue;
            try
            {
                await CommitAsync(group);
            }
            catch (Exception e)
            {
                // Not expected (CommitAsync answers every command itself); the worker must not die with commands waiting.
                logger.LogError(e, "Committing a group of case commands failed unexpectedly");
                Fail(group, e);
            }
        }

        // One command per case and per key in a group: a second one waits for the next group, where it finds the
        // version moved (or the key taken) and is decided again with what the first one wrote.
        void Take(Pending pending)
        {
            var append = pending.Append;
            // Decided on a version this process has since committed past (a command ahead of it on the same case, in
            // the last group): it would lose in PostgreSQL, and hold its case's place in this group while losing. Its
            // command is decided again at once, in order, on the state the commands ahead of it left.
            if (Remembered(append.CaseId) is { } known && known.Version > append.Staged.VersionBefore)
            {
                pending.Done.TrySetResult(AppendStatus.VersionMoved);
                return;
            }
            if (group.Count >= MaxGroup || cases.Contains(append.CaseId) || append.AnswerId is { } a && keys.Contains(a))
            {
                carried.Add(pending);
                return;
            }
            cases.Add(append.CaseId);
            if (append.AnswerId is { } answer) keys.Add(answer);
            group.Add(pending);
        }
    }

    private async Task CommitAsync(List<Pending> group)
    {
        AppendStatus[] statuses;
        LoadedCase?[] current;
        try
        {
            (statuses, current) = await ExecuteAsync(group);
            metrics.GroupCommitted(group.Count);
        }
        catch (PostgresException e) when (group.Count > 1 && !DatabaseFailures.IsTransient(e))
        {
            // PostgreSQL refused the statement as a whole and nothing of it committed. So that one command's failure
            // is not every command's, each is committed again on its own.
            foreach (var pending in group) await CommitAsync([pending]);
            return;
        }
        catch (Exception e)
        {
            Fail(group, e);
            return;
        }

        try
        {
            var committed = group.Where((_, i) => statuses[i] == AppendStatus.Appended).Select(p => p.Append).ToArray();
            foreach (var listener in listeners) await listener.AfterCommitAsync(committed, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Committed, but the answer does not reach the command: to the command it is a commit whose answer was lost.
            Fail(group, e);
            return;
        }
        for (var i = 0; i < group.Count; i++)
        {
            var append = group[i].Append;
            if (statuses[i] == AppendStatus.Appended) Remember(append);
            // The case as the statement found it (another process wrote it since this one last did): remembered, so
            // the command is decided again on it at once, with no read of its own.
            else if (current[i] is { } found) cache.Set(append.CaseId, found, RememberFor);
            // Left out: what this process remembers of the case is stale, unless it is a later version than the one the
            // command was decided on (a command of this process committed first; the loser decides again on it).
            else if (Remembered(append.CaseId) is not { } known || known.Version <= append.Staged.VersionBefore) Forget(append.CaseId);
            group[i].Done.TrySetResult(statuses[i]);
        }
    }

    /// <summary>Answers each command of the group with the failure, forgetting its case (it may or may not have landed).</summary>
    private void Fail(List<Pending> group, Exception e)
    {
        foreach (var pending in group)
        {
            Forget(pending.Append.CaseId);
            pending.Done.TrySetException(e);
        }
    }

    private async Task<(AppendStatus[] Statuses, LoadedCase?[] Current)> ExecuteAsync(List<Pending> group)
    {
        var appends = group.Select(p => p.Append).ToArray();
        var events = appends.SelectMany(a => a.Events.Select(e => (a.CaseId, Event: e))).ToArray();
        var now = clock.GetCurrentInstant().ToUnixTimeMilliseconds();

        await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(statement!.Sql, connection);
        void Add<T>(string name, T[] values, NpgsqlDbType type) =>
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = values });
        Add("case_ids", appends.Select(a => a.CaseId).ToArray(), NpgsqlDbType.Uuid);
        Add("expected", appends.Select(a => a.Staged.VersionBefore).ToArray(), NpgsqlDbType.Bigint);
        Add("new_versions", appends.Select(a => a.Staged.VersionAfter).ToArray(), NpgsqlDbType.Bigint);
        Add("answer_ids", appends.Select(a => a.AnswerId).ToArray(), NpgsqlDbType.Text);
        Add("answer_data", appends.Select(a => a.AnswerJson).ToArray(), NpgsqlDbType.Jsonb);
        Add("case_data", appends.Select(a => a.AfterJson).ToArray(), NpgsqlDbType.Jsonb);
        Add("summary_data", appends.Select(a => a.SummaryJson).ToArray(), NpgsqlDbType.Jsonb);
        Add("event_cases", events.Select(e => e.CaseId).ToArray(), NpgsqlDbType.Uuid);
        Add("event_ids", events.Select(e => e.Event.Id).ToArray(), NpgsqlDbType.Uuid);
        Add("event_versions", events.Select(e => e.Event.Version).ToArray(), NpgsqlDbType.Bigint);
        Add("event_types", events.Select(e => e.Event.TypeAlias).ToArray(), NpgsqlDbType.Text);
        Add("event_dotnet_types", events.Select(e => e.Event.DotNetType).ToArray(), NpgsqlDbType.Text);
        Add("event_data", events.Select(e => e.Event.Json).ToArray(), NpgsqlDbType.Jsonb);
        Add("event_headers", events.Select(e => e.Event.HeadersJson).ToArray(), NpgsqlDbType.Jsonb);
        // The API's clock (as Marten's QuickWithServerTimestamps stamps the events it appends), not the database's.
        command.Parameters.Add(new NpgsqlParameter("now_ms", NpgsqlDbType.Bigint) { Value = now });
        command.Parameters.Add(new NpgsqlParameter("case_type", NpgsqlDbType.Text) { Value = caseStreamType });
        command.Parameters.Add(new NpgsqlParameter("summary_type", NpgsqlDbType.Text) { Value = summaryType });
        command.Parameters.Add(new NpgsqlParameter("answer_type", NpgsqlDbType.Text) { Value = answerType });

        var statuses = new AppendStatus[appends.Length];
        var current = new LoadedCase?[appends.Length];
        var index = appends.Select((a, i) => (a.CaseId, i)).ToDictionary(x => x.CaseId, x => x.i);
        try
        {
            // Once sent, the statement is not cancelled: it commits or fails on its own.
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                var i = index[reader.GetGuid(0)];
                statuses[i] = reader.GetBoolean(2) ? AppendStatus.Appended : reader.GetBoolean(1) ? AppendStatus.KeyTaken : AppendStatus.VersionMoved;
                if (!reader.IsDBNull(4))
                    current[i] = new LoadedCase(store.Options.Serializer().FromJson<CaseStream>(reader, 4), reader.GetInt64(3));
            }
            return (statuses, current);
        }
        catch (PostgresException)
        {
            // An auto-prepared statement that fails can leave the connection's prepared statements out of step with the
            // server (npgsql/npgsql#6391): its next use read an unexpected DataRow, a 500. Unprepared, it starts clean.
            connection.UnprepareAll();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30));
            cache.Dispose();
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Case commands were still being committed when the API stopped");
        }
    }

    /// <summary>A queued command; <paramref name="Decisions"/> is how many times it has been decided (its age in races lost).</summary>
    private sealed record Pending(CaseAppend Append, TaskCompletionSource<AppendStatus> Done, int Decisions);
}

/// <summary>Told of each group's commands that committed, after the commit (as Marten's session listeners are).</summary>
public interface ICaseAppendListener
{
    Task AfterCommitAsync(IReadOnlyList<CaseAppend> committed, CancellationToken ct);
}
