using System.Security.Cryptography;
using Marten;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>The <c>Ledger</c> configuration section (DESIGN.md).</summary>
public sealed class LedgerOptions
{
    public const string SectionName = "Ledger";
    public const string Origin = "safeguarding-cases/events";

    public string? SigningKeyPath { get; set; }
    public Duration CheckpointInterval { get; set; } = Duration.FromMinutes(5);
    public string? PublishDirectory { get; set; }

    /// <summary>
    /// How long a gap in Marten's event sequence must have been seen open before the ledger treats it as a rolled-back
    /// append (as Marten's high-water mark does). Until then, checkpoints stop before the gap, so a late commit can
    /// never land inside an already signed tree. Longer than any command's commit can take.
    /// </summary>
    public Duration StaleGapAfter { get; set; } = Duration.FromSeconds(60);

    public static LedgerOptions Bind(IConfiguration configuration) => new()
    {
        SigningKeyPath = configuration[$"{SectionName}:{nameof(SigningKeyPath)}"],
        PublishDirectory = configuration[$"{SectionName}:{nameof(PublishDirectory)}"],
        CheckpointInterval = Settings.ReadDuration(configuration, $"{SectionName}:{nameof(CheckpointInterval)}") ?? Duration.FromMinutes(5),
    };

    /// <summary>
    /// The signing key: the PEM at <see cref="SigningKeyPath"/>; in Development, Testing and Benchmark, a throwaway key
    /// when none is configured; in any other environment a missing key stops start-up.
    /// </summary>
    public ECDsa LoadKey(IHostEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(SigningKeyPath))
        {
            if (!(environment.IsDevelopment() || environment.IsEnvironment("Testing") || environment.IsEnvironment("Benchmark")))
                throw new StartupRefusedException("Ledger__SigningKeyPath is not set; the ledger's checkpoints need an ECDSA P-256 private key (PEM).");
            return ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }
        try
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(SigningKeyPath));
            return key.KeySize == 256 ? key : throw new StartupRefusedException("Ledger__SigningKeyPath must hold an ECDSA P-256 key.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            throw new StartupRefusedException($"Ledger__SigningKeyPath '{SigningKeyPath}' could not be read as an ECDSA P-256 private key (PEM).");
        }
    }
}

/// <summary>The event log no longer extends a signed checkpoint: it was altered, and no new checkpoint is signed.</summary>
public sealed class LedgerForkedException(long treeSize) : Exception($"The event log no longer extends checkpoint {treeSize}.")
{
    public long TreeSize { get; } = treeSize;
}

/// <summary>A signed checkpoint as stored: the checkpoint and the sequence number of its last event.</summary>
public sealed class CheckpointRecord
{
    public long Id { get; set; }
    public long LastSequence { get; set; }
    public Checkpoint Checkpoint { get; set; } = null!;
}

/// <summary>One leaf of the ledger: an event, where it is, and its hash (the 32 bytes the leaf is made of).</summary>
public readonly record struct Leaf(long Sequence, Guid CaseId, long Version, byte[] Hash);

/// <summary>
/// The append-only ledger over every event of every case: the leaves are the events' hashes in Marten's global
/// sequence order (RFC 9162 tree). Makes checkpoints, proofs and full re-verifications from the events as PostgreSQL
/// holds them.
/// </summary>
public sealed class EventLedger(NpgsqlDataSource db, IDocumentStore store, ECDsa key, LedgerOptions options, IClock clock, ILogger<EventLedger> logger)
    : IDisposable
{
    public void Dispose()
    {
        treeBuild.Dispose();
        verification.Dispose();
    }

    /// <summary>The .NET type names of the events of a case (the ledger's leaves); anything else in mt_events is Marten's.</summary>
    public const string CaseEventTypePrefix = "SafeguardingCases.Domain.Cases.";

    private static bool IsCaseEvent(string dotnetType) => dotnetType.StartsWith(CaseEventTypePrefix, StringComparison.Ordinal);

    /// <summary>The public key that verifies checkpoints, PEM.</summary>
    public string PublicKeyPem => key.ExportSubjectPublicKeyInfoPem();

    public string KeyId => Checkpoint.KeyIdOf(key);

    /// <summary>The trees of the checkpoints signed or proved against lately (at most <see cref="TreesKept"/>), by tree size.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, LedgerTree> trees = new();
    private readonly SemaphoreSlim treeBuild = new(1, 1);
    private readonly SemaphoreSlim verification = new(1, 1);
    private long treesBuilt;

    /// <summary>
    /// How many checkpoint trees this instance keeps in memory: the latest signed or proved against (72 MB at a million
    /// events: 2n hashes and n sequence numbers), so a pod's memory limit holds it with room to spare.
    /// </summary>
    public const int TreesKept = 1;

    /// <summary>How many trees this instance has built for proofs (for tests and telemetry: a proof normally builds none).</summary>
    public long TreesBuilt => Interlocked.Read(ref treesBuilt);

    /// <summary>
    /// The tree of a signed checkpoint, built once from the stored leaves and kept; null when the events up to it no
    /// longer make the tree it signed (the log was altered: <see cref="VerifyAsync"/> says where). One build at a time.
    /// </summary>
    public async Task<LedgerTree?> TreeAsync(CheckpointRecord checkpoint, CancellationToken ct)
    {
        if (trees.TryGetValue(checkpoint.Id, out var kept)) return kept;
        await treeBuild.WaitAsync(ct);
        try
        {
            if (trees.TryGetValue(checkpoint.Id, out kept)) return kept;
            var leaves = await LeavesAsync(ct, checkpoint.LastSequence);
            if (leaves.Count != checkpoint.Id) return null;
            var tree = LedgerTree.Build(leaves);
            Interlocked.Increment(ref treesBuilt);
            if (Convert.ToBase64String(tree.Root) != checkpoint.Checkpoint.RootHash) return null;
            Keep(tree);
            return tree;
        }
        finally
        {
            treeBuild.Release();
        }
    }

    private void Keep(LedgerTree tree)
    {
        trees[tree.Size] = tree;
        foreach (var older in trees.Keys.OrderDescending().Skip(TreesKept)) trees.TryRemove(older, out _);
    }

    /// <summary>
    /// A turn at a full verification: one at a time on this instance, since each reads and rehashes every event. Null
    /// when another is running (the caller answers 429); dispose the turn when done.
    /// </summary>
    public IDisposable? TryBeginVerification() => verification.Wait(0) ? new Turn(verification) : null;

    private sealed class Turn(SemaphoreSlim gate) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0) gate.Release();
        }
    }

    /// <summary>One event of a case as a leaf (its sequence number and stored hash), or null when there is no such event.</summary>
    public async Task<Leaf?> LeafOfAsync(Guid caseId, long version, CancellationToken ct)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        await using var command = db.CreateCommand(
            $"select seq_id, headers->>'{EventHashChain.Header}' from {MartenSetup.EventsTable} where stream_id = $1 and version = $2");
        command.Parameters.AddWithValue(caseId);
        command.Parameters.AddWithValue(version);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var hex = reader.IsDBNull(1) ? null : reader.GetString(1);
        return new Leaf(reader.GetInt64(0), caseId, version, hex is { Length: 64 } ? Convert.FromHexString(hex) : new byte[32]);
    }

    /// <summary>When each open gap in the sequence was first seen by this instance.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, Instant> gapsSeen = new();

    /// <summary>The leaves as stored, up to the high-water mark (no open gap in the sequence behind them).</summary>
    public async Task<List<Leaf>> LeavesAsync(CancellationToken ct, long? upToSequence = null)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        await using var command = db.CreateCommand(
            $"select seq_id, stream_id, version, headers->>'{EventHashChain.Header}', timestamp, mt_dotnet_type from {MartenSetup.EventsTable} " +
            (upToSequence is null ? "" : "where seq_id <= $1 ") + "order by seq_id");
        if (upToSequence is { } up) command.Parameters.AddWithValue(up);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var leaves = new List<Leaf>();
        var now = clock.GetCurrentInstant();
        long previous = 0;
        while (await reader.ReadAsync(ct))
        {
            var sequence = reader.GetInt64(0);
            // A gap: an append took a number and has not committed (it may yet) or rolled back. Stop before it until it
            // has been seen open for StaleGapAfter, as Marten's high-water detection does; event timestamps cannot tell,
            // since Marten's tombstones carry none.
            if (upToSequence is null && sequence != previous + 1)
            {
                var seen = gapsSeen.GetOrAdd(previous + 1, now);
                if (now - seen < options.StaleGapAfter) break;
            }
            previous = sequence;
            // Marten's tombstones (written to fill the number of an append that failed) keep the sequence whole; they
            // are not events of a case, so not leaves.
            if (!IsCaseEvent(reader.GetString(5))) continue;
            var hex = reader.IsDBNull(3) ? null : reader.GetString(3);
            leaves.Add(new Leaf(sequence, reader.GetGuid(1), reader.GetInt64(2), hex is { Length: 64 } ? Convert.FromHexString(hex) : new byte[32]));
        }
        return leaves;
    }

    /// <summary>
    /// Signs a checkpoint of every event up to the high-water mark, unless nothing is new. Refuses to sign a tree that
    /// is not an extension of the latest checkpoint (the log would fork): that means the store was altered.
    /// </summary>
    public async Task<CheckpointRecord?> MakeCheckpointAsync(CancellationToken ct)
    {
        // One checkpoint at a time across every instance: a transaction-level advisory lock, released at commit (or
        // when the holder's connection dies), so the latest checkpoint read below is the latest there is.
        await using var lockConnection = await db.OpenConnectionAsync(ct);
        await using var lockTransaction = await lockConnection.BeginTransactionAsync(ct);
        await using (var take = new NpgsqlCommand("select pg_advisory_xact_lock($1)", lockConnection, lockTransaction))
        {
            take.Parameters.AddWithValue(LockKey);
            await take.ExecuteNonQueryAsync(ct);
        }
        var made = await MakeCheckpointLockedAsync(ct);
        await lockTransaction.CommitAsync(CancellationToken.None);
        return made;
    }

    /// <summary>The advisory lock key that lets one instance at a time sign ("SGCLEDGR").</summary>
    public const long LockKey = 0x5347434C45444752;

    private async Task<CheckpointRecord?> MakeCheckpointLockedAsync(CancellationToken ct)
    {
        var leaves = await LeavesAsync(ct);
        await using var session = store.LightweightSession();
        var latest = await LatestAsync(session, ct);
        if (leaves.Count == 0 && latest is null) return null;
        var tree = LedgerTree.Build(leaves);
        if (latest is not null)
        {
            // Never fork: the log must still hold the signed tree as its prefix (nothing removed, nothing changed).
            if (leaves.Count < latest.Id || Convert.ToBase64String(tree.Subtree(0, latest.Id)) != latest.Checkpoint.RootHash)
            {
                logger.LogError("The event log no longer extends checkpoint {TreeSize}: it was altered. No checkpoint signed.", latest.Id);
                throw new LedgerForkedException(latest.Id);
            }
            if (leaves.Count == latest.Id)
            {
                Keep(tree);
                return latest;
            }
        }
        var checkpoint = Checkpoint.Sign(LedgerOptions.Origin, leaves.Count, tree.Root, key, clock.GetCurrentInstant());
        var record = new CheckpointRecord { Id = leaves.Count, LastSequence = leaves[^1].Sequence, Checkpoint = checkpoint };
        session.Store(record);
        await session.SaveChangesAsync(ct);
        // The tree just signed is the one proofs will be asked of next: kept, so none of them rebuilds it.
        Keep(tree);
        if (!string.IsNullOrWhiteSpace(options.PublishDirectory))
        {
            Directory.CreateDirectory(options.PublishDirectory);
            // The record, not only the checkpoint: verify-ledger needs the sequence number of its last event.
            await File.WriteAllTextAsync(Path.Combine(options.PublishDirectory, $"checkpoint-{record.Id:D12}.json"),
                System.Text.Json.JsonSerializer.Serialize(record, Json.JsonSetup.Create()), ct);
        }
        logger.LogInformation("Signed checkpoint {TreeSize}", record.Id);
        return record;
    }

    public static async Task<CheckpointRecord?> LatestAsync(IQuerySession session, CancellationToken ct) =>
        await session.Query<CheckpointRecord>().OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    /// <summary>
    /// Recomputes every leaf of a checkpoint from the events' data as PostgreSQL holds it (each case's chain again, not
    /// the stored hashes) and compares the root with the signed one. The first leaf whose recomputed hash differs from
    /// the stored one is named; a change that rewrote the stored hashes too is still caught by the root.
    /// </summary>
    public async Task<(bool Valid, (Guid CaseId, long Version)? FirstBadLeaf)> VerifyAsync(CheckpointRecord checkpoint, CancellationToken ct)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        var recomputed = new SortedDictionary<long, (Guid CaseId, long Version, byte[] Hash, string? Stored)>();
        await using (var command = db.CreateCommand(
            $"select seq_id, stream_id, version, mt_dotnet_type, data::text, headers->>'{EventHashChain.Header}' from {MartenSetup.EventsTable} " +
            $"where seq_id <= $1 and mt_dotnet_type like '{CaseEventTypePrefix}%' order by stream_id, version"))
        {
            command.Parameters.AddWithValue(checkpoint.LastSequence);
            await using var reader = await command.ExecuteReaderAsync(ct);
            Guid? stream = null;
            var previous = EventHashChain.Genesis;
            while (await reader.ReadAsync(ct))
            {
                var caseId = reader.GetGuid(1);
                if (caseId != stream) (stream, previous) = (caseId, EventHashChain.Genesis);
                var version = reader.GetInt64(2);
                var hash = EventHashChain.Hash(previous, caseId, version, EventHashChain.TypeName(reader.GetString(3)), reader.GetString(4));
                recomputed[reader.GetInt64(0)] = (caseId, version, Convert.FromHexString(hash), reader.IsDBNull(5) ? null : reader.GetString(5));
                previous = hash;
            }
        }
        var firstBad = recomputed.Values.Where(r => !string.Equals(r.Stored, Convert.ToHexStringLower(r.Hash), StringComparison.Ordinal))
            .Select(r => ((Guid, long)?)(r.CaseId, r.Version)).FirstOrDefault();
        var root = Convert.ToBase64String(MerkleTree.Root(recomputed.Values.Select(r => MerkleTree.LeafHash(r.Hash))));
        var valid = recomputed.Count == checkpoint.Id && root == checkpoint.Checkpoint.RootHash && checkpoint.Checkpoint.Verify(key);
        return (valid, valid ? null : firstBad);
    }
}
