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

    /// <summary>
    /// <c>Ledger__PreviousPublicKeysPath</c>: a PEM file of the public keys of the signing keys used before the current
    /// one (one or more <c>PUBLIC KEY</c> blocks), so that checkpoints signed before a key was replaced still verify.
    /// </summary>
    public string? PreviousPublicKeysPath { get; set; }

    /// <summary>The keys read from <see cref="PreviousPublicKeysPath"/> at start-up (<see cref="LoadPreviousKeys"/>), each with its id.</summary>
    public IReadOnlyList<PreviousKey> PreviousKeys { get; set; } = [];

    public Duration CheckpointInterval { get; set; } = Duration.FromMinutes(5);
    public string? PublishDirectory { get; set; }

    /// <summary>
    /// <c>Ledger__GapSettle</c> (default <c>PT5S</c>): a gap in the event sequence is skipped as soon as every transaction
    /// that could still fill it has ended; one still held open by a live transaction after this long is logged, and
    /// checkpoints keep stopping before it (never signing past a number a late commit could still take).
    /// </summary>
    public Duration GapSettle { get; set; } = Duration.FromSeconds(5);

    /// <summary>
    /// <c>Ledger__TreeChunk</c> (default 1,024, a power of two): how many events a kept tree folds into one hash. A proof
    /// reads at most two chunks back; a tree holds about two hashes per chunk. The tests make it small, so that proofs
    /// read chunks back from PostgreSQL even in a short log.
    /// </summary>
    public int TreeChunk { get; set; } = LedgerTree.DefaultChunk;

    public static LedgerOptions Bind(IConfiguration configuration) => new()
    {
        TreeChunk = Settings.ReadPositiveLong(configuration, $"{SectionName}:{nameof(TreeChunk)}") switch
        {
            null => LedgerTree.DefaultChunk,
            { } chunk when long.IsPow2(chunk) && chunk <= 1 << 20 => (int)chunk,
            { } chunk => throw Settings.Invalid($"{SectionName}:{nameof(TreeChunk)}", chunk.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "a power of two up to 1048576"),
        },
        SigningKeyPath = configuration[$"{SectionName}:{nameof(SigningKeyPath)}"],
        PreviousPublicKeysPath = configuration[$"{SectionName}:{nameof(PreviousPublicKeysPath)}"],
        PublishDirectory = configuration[$"{SectionName}:{nameof(PublishDirectory)}"],
        CheckpointInterval = Settings.ReadDuration(configuration, $"{SectionName}:{nameof(CheckpointInterval)}") ?? Duration.FromMinutes(5),
        GapSettle = Settings.ReadDuration(configuration, $"{SectionName}:{nameof(GapSettle)}") ?? Duration.FromSeconds(5),
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

    /// <summary>
    /// The public keys at <see cref="PreviousPublicKeysPath"/> (none when unset), each with the id a checkpoint names it
    /// by (worked out once here, not at every verification), or start-up refused in one line.
    /// </summary>
    public IReadOnlyList<PreviousKey> LoadPreviousKeys()
    {
        if (string.IsNullOrWhiteSpace(PreviousPublicKeysPath)) return [];
        var keys = new List<PreviousKey>();
        try
        {
            var text = File.ReadAllText(PreviousPublicKeysPath).AsSpan();
            while (PemEncoding.TryFind(text, out var found))
            {
                if (text[found.Label].SequenceEqual("PUBLIC KEY"))
                {
                    var key = ECDsa.Create();
                    key.ImportFromPem(text[found.Location]);
                    keys.Add(key.KeySize == 256 ? new PreviousKey(Checkpoint.KeyIdOf(key), key) : throw new CryptographicException());
                }
                text = text[found.Location.End..];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            keys.Clear();
        }
        return keys.Count > 0 ? keys
            : throw new StartupRefusedException($"Ledger__PreviousPublicKeysPath '{PreviousPublicKeysPath}' could not be read as ECDSA P-256 public keys (PEM, one or more PUBLIC KEY blocks).");
    }
}

/// <summary>A key that signed checkpoints before the current one: its id (<see cref="Checkpoint.KeyIdOf"/>) and its public key.</summary>
public sealed record PreviousKey(string KeyId, ECDsa Key);

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

    /// <summary>The public key that verifies checkpoints, PEM.</summary>
    public string PublicKeyPem => key.ExportSubjectPublicKeyInfoPem();

    public string KeyId => Checkpoint.KeyIdOf(key);

    /// <summary>The public keys of the signing keys used before the current one (<c>Ledger__PreviousPublicKeysPath</c>).</summary>
    public IReadOnlyList<PreviousKey> PreviousKeys => options.PreviousKeys;

    /// <summary>
    /// The key that verifies checkpoints signed with key <paramref name="keyId"/>: the current one, or one of the keys
    /// used before it (<c>Ledger__PreviousPublicKeysPath</c>); null when this instance holds neither.
    /// </summary>
    public ECDsa? VerifierFor(string keyId) => keyId == KeyId ? key : options.PreviousKeys.FirstOrDefault(k => k.KeyId == keyId)?.Key;

    /// <summary>Signs a checkpoint of another tree with the ledger's key (an export's tree of entries, under its own origin).</summary>
    public Checkpoint Sign(string origin, long treeSize, byte[] rootHash) => Checkpoint.Sign(origin, treeSize, rootHash, key, clock.GetCurrentInstant());

    /// <summary>The trees of the checkpoints signed or proved against lately (at most <see cref="TreesKept"/>), by tree size.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, LedgerTree> trees = new();
    private readonly SemaphoreSlim treeBuild = new(1, 1);
    private readonly SemaphoreSlim verification = new(1, 1);
    private long treesBuilt;

    /// <summary>
    /// How many checkpoint trees this instance keeps in memory: the latest signed or proved against. A tree keeps one
    /// hash per 512 events (about 1 MB at ten million), so several fit any pod's memory limit.
    /// </summary>
    public const int TreesKept = 4;

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
            var builder = new LedgerTree.Builder(options.TreeChunk);
            await foreach (var leaf in LeavesAsync(ct, checkpoint.LastSequence)) builder.Add(leaf.Sequence, leaf.Hash);
            Interlocked.Increment(ref treesBuilt);
            if (builder.Count != checkpoint.Id || Convert.ToBase64String(builder.Fold()) != checkpoint.Checkpoint.RootHash) return null;
            var tree = builder.Build(LeavesBetweenAsync);
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
        return new Leaf(reader.GetInt64(0), caseId, version, HashOf(reader, 1));
    }

    private readonly SequenceGaps gaps = new(db, clock, options.GapSettle, logger);

    /// <summary>
    /// The leaves as stored, up to the high-water mark: no gap in the sequence behind them that a transaction still
    /// alive could fill. <paramref name="exceptPid"/> is a backend of the caller's own that holds a transaction open
    /// (the checkpoint's lock) and writes no events.
    /// </summary>
    public async IAsyncEnumerable<Leaf> LeavesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct,
        long? upToSequence = null, int? exceptPid = null, long settledThrough = 0)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        await using var command = db.CreateCommand(
            $"select seq_id, stream_id, version, headers->>'{EventHashChain.Header}', mt_dotnet_type like '{CaseEventTypePrefix}%' from {MartenSetup.EventsTable} " +
            (upToSequence is null ? "" : "where seq_id <= $1 ") + "order by seq_id");
        if (upToSequence is { } up) command.Parameters.AddWithValue(up);
        await using var reader = await command.ExecuteReaderAsync(ct);
        long previous = 0;
        while (await reader.ReadAsync(ct))
        {
            var sequence = reader.GetInt64(0);
            // A gap: an append took these numbers and has not committed (it may yet) or rolled back. Stop before it
            // while any transaction that could fill it is alive.
            // A gap at or below the latest signed checkpoint's last event was settled when that tree was signed.
            if (upToSequence is null && sequence != previous + 1 && sequence > settledThrough && !await gaps.SettledAsync(previous, sequence, exceptPid, ct)) break;
            previous = sequence;
            // Marten's tombstones (written to fill the number of an append that failed) keep the sequence whole; they
            // are not events of a case, so not leaves.
            if (!reader.GetBoolean(4)) continue;
            yield return new Leaf(sequence, reader.GetGuid(1), reader.GetInt64(2), HashOf(reader, 3));
        }
        // Every gap below where the read got to is settled or filled: no later read looks at it again.
        if (upToSequence is null) gaps.ForgetThrough(previous);
    }

    /// <summary>A stored hash header as a leaf's 32 bytes (zeros when missing or malformed: no signed tree has such a leaf).</summary>
    private static byte[] HashOf(NpgsqlDataReader reader, int ordinal) =>
        !reader.IsDBNull(ordinal) && reader.GetString(ordinal) is { Length: 64 } hex ? Convert.FromHexString(hex) : new byte[32];

    /// <summary>The leaves whose sequence numbers lie in [from, to]: a chunk of a kept tree, read back for a proof.</summary>
    private async Task<IReadOnlyList<Leaf>> LeavesBetweenAsync(long from, long to, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select seq_id, stream_id, version, headers->>'{EventHashChain.Header}' from {MartenSetup.EventsTable} " +
            $"where seq_id between $1 and $2 and mt_dotnet_type like '{CaseEventTypePrefix}%' order by seq_id");
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var leaves = new List<Leaf>();
        while (await reader.ReadAsync(ct)) leaves.Add(new Leaf(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt64(2), HashOf(reader, 3)));
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
        var made = await MakeCheckpointLockedAsync(lockConnection.ProcessID, ct);
        await lockTransaction.CommitAsync(CancellationToken.None);
        return made;
    }

    /// <summary>The advisory lock key that lets one instance at a time sign ("SGCLEDGR").</summary>
    public const long LockKey = 0x5347434C45444752;

    private async Task<CheckpointRecord?> MakeCheckpointLockedAsync(int lockPid, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var latest = await LatestAsync(session, ct);
        // One pass over every leaf, holding only what the tree keeps (never the leaves themselves).
        var builder = new LedgerTree.Builder(options.TreeChunk, latest?.Id);
        await foreach (var leaf in LeavesAsync(ct, exceptPid: lockPid, settledThrough: latest?.LastSequence ?? 0)) builder.Add(leaf.Sequence, leaf.Hash);
        if (builder.Count == 0 && latest is null) return null;
        var tree = builder.Build(LeavesBetweenAsync);
        if (latest is not null)
        {
            // Never fork: the log must still hold the signed tree as its prefix (nothing removed, nothing changed).
            if (builder.PrefixRoot is not { } prefix || Convert.ToBase64String(prefix) != latest.Checkpoint.RootHash)
            {
                logger.LogError("The event log no longer extends checkpoint {TreeSize}: it was altered. No checkpoint signed.", latest.Id);
                throw new LedgerForkedException(latest.Id);
            }
            if (builder.Count == latest.Id)
            {
                Keep(tree);
                return latest;
            }
        }
        var checkpoint = Checkpoint.Sign(LedgerOptions.Origin, builder.Count, tree.Root, key, clock.GetCurrentInstant());
        var record = new CheckpointRecord { Id = builder.Count, LastSequence = builder.LastSequence, Checkpoint = checkpoint };
        session.Store(record);
        await session.SaveChangesAsync(ct);
        // The tree just signed is the one proofs will be asked of next: kept, so none of them rebuilds it.
        Keep(tree);
        if (!string.IsNullOrWhiteSpace(options.PublishDirectory)) await PublishAsync(options.PublishDirectory, record, latest?.Id ?? 0, ct);
        logger.LogInformation("Signed checkpoint {TreeSize}", record.Id);
        return record;
    }

    /// <summary>
    /// Writes a signed checkpoint outside the database (the record, not only the checkpoint: verify-ledger needs the
    /// sequence number of its last event), never over another file. A published checkpoint is evidence: one already
    /// there for this tree size with another root, or a larger tree than the database's latest checkpoint, means the
    /// database was restored to an earlier point (events after it are gone) or another database publishes here. Both
    /// are logged as errors and every file is kept. A file that cannot be written is logged; the checkpoint stays signed
    /// in the database.
    /// </summary>
    private async Task PublishAsync(string directory, CheckpointRecord record, long previousTreeSize, CancellationToken ct)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(record, Json.JsonSetup.Create());
        try
        {
            Directory.CreateDirectory(directory);
            var largest = Directory.EnumerateFiles(directory, "checkpoint-*.json").Select(PublishedTreeSize).DefaultIfEmpty(0).Max();
            if (largest > previousTreeSize)
                logger.LogError("The publish directory holds checkpoint {Published}, past the database's latest checkpoint {Latest}: the database was " +
                                "restored to an earlier point, or another database publishes here. The published checkpoints past {Latest} cover events " +
                                "this database does not hold; they are kept", largest, previousTreeSize, previousTreeSize);
            var path = Path.Combine(directory, $"checkpoint-{record.Id:D12}.json");
            if (await CreateNewAsync(path, json, ct) || await File.ReadAllTextAsync(path, ct) == json) return;
            logger.LogError("Checkpoint {TreeSize} was already published with another root: the event log was rolled back (a restore from backup?) " +
                            "or another database publishes here. Both are kept", record.Id);
            await CreateNewAsync(Path.Combine(directory, $"checkpoint-{record.Id:D12}-{record.Checkpoint.SignedAt.ToUnixTimeMilliseconds()}.json"), json, ct);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError("Checkpoint {TreeSize} is signed in the database but could not be published: {Error}", record.Id, e.GetType().Name);
        }
    }

    /// <summary>The tree size a published file's name gives (checkpoint-000000000042.json, or with a suffix after a conflict).</summary>
    private static long PublishedTreeSize(string path) =>
        Path.GetFileName(path) is { Length: >= 23 } name && long.TryParse(name.AsSpan(11, 12), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : 0;

    private static async Task<bool> CreateNewAsync(string path, string contents, CancellationToken ct)
    {
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            await using var writer = new StreamWriter(file);
            await writer.WriteAsync(contents.AsMemory(), ct);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    public static async Task<CheckpointRecord?> LatestAsync(IQuerySession session, CancellationToken ct) =>
        await session.Query<CheckpointRecord>().OrderByDescending(c => c.Id).FirstOrDefaultAsync(ct);

    /// <summary>
    /// How many events whose stored hash differs from their data a verification remembers (about 10 MB); one that finds
    /// more calls the log invalid there and then (its first changed event may then be an earlier one than it names).
    /// </summary>
    public int MaxDifferingRemembered { get; init; } = 100_000;

    /// <summary>
    /// Recomputes every leaf of a checkpoint from the events' data as PostgreSQL holds it (each case's chain again, not
    /// the stored hashes) and compares the root with the signed one. The first leaf whose recomputed hash differs from
    /// the stored one is named; a change that rewrote the stored hashes too is still caught by the root.
    /// </summary>
    public async Task<(bool Valid, (Guid CaseId, long Version)? FirstBadLeaf)> VerifyAsync(CheckpointRecord checkpoint, CancellationToken ct)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        // Each case's chain recomputed from its events' data, case by case; only where a stored hash differs from the
        // recomputed one is anything remembered, so a full verification holds O(changes), not O(events).
        var differing = new Dictionary<long, byte[]>();
        (long Sequence, Guid CaseId, long Version)? firstBad = null;
        long walked = 0;
        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            await foreach (var link in EventHashChain.WalkStoredAsync(connection, null,
                               $"seq_id <= $1 and mt_dotnet_type like '{CaseEventTypePrefix}%'", [checkpoint.LastSequence], ct))
            {
                walked++;
                if (link.Holds) continue;
                // Past this many, the log was rewritten wholesale: invalid, whatever the root, without holding them all.
                if (differing.Count >= MaxDifferingRemembered) return (false, firstBad is { } worst ? (worst.CaseId, worst.Version) : (link.CaseId, link.Version));
                differing[link.Sequence] = Convert.FromHexString(link.Recomputed);
                if (firstBad is null || link.Sequence < firstBad.Value.Sequence) firstBad = (link.Sequence, link.CaseId, link.Version);
            }
        }
        // Then the root of the recomputed hashes in sequence order: each stored hash where it agreed, the recomputed one
        // where it did not.
        var tree = new MerkleTree.Frontier();
        await foreach (var leaf in LeavesAsync(ct, checkpoint.LastSequence))
            tree.Push(MerkleTree.LeafHash(differing.TryGetValue(leaf.Sequence, out var recomputed) ? recomputed : leaf.Hash));
        var valid = walked == checkpoint.Id && tree.Count == walked && Convert.ToBase64String(tree.Root()) == checkpoint.Checkpoint.RootHash
                    && VerifierFor(checkpoint.Checkpoint.KeyId) is { } verifier && checkpoint.Checkpoint.Verify(verifier);
        return (valid, valid || firstBad is not { } bad ? null : (bad.CaseId, bad.Version));
    }
}
