using System.Diagnostics;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// The ledger at scale: seeds N events (default 1,000,000: cases of 10 notes each) straight into Marten's tables
/// with correct per-case hash chains, then times a checkpoint (reading every leaf, building the tree, signing) and a
/// full verification (recomputing every event's hash from its data, then the root).
/// Run: dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- ledger [--events 1000000]
/// </summary>
public static class LedgerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var i = Array.IndexOf(args, "--events");
        var events = i >= 0 ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var server = await PostgresServer.GetAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync("ledgerbench");
            await using var db = NpgsqlDataSource.Create(MartenSetup.WithPoolDefaults(connectionString));
            using var store = new DocumentStore(MartenSetup.Configure(new StoreOptions(), db));
            await MartenSetup.EnsureTablesForRawReadsAsync(store, CancellationToken.None);
            await store.Storage.Database.EnsureStorageExistsAsync(typeof(CheckpointRecord));

            var seed = Stopwatch.StartNew();
            await SeedAsync(db, events);
            Console.WriteLine($"seeded {events:N0} events with their hash chains in {seed.Elapsed.TotalSeconds:F1} s");

            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var ledger = new EventLedger(db, store, key, new LedgerOptions(), NodaTime.SystemClock.Instance, NullLogger<EventLedger>.Instance);
            var clock = Stopwatch.StartNew();
            var memory = MemoryPeak.Start();
            var checkpoint = (await ledger.MakeCheckpointAsync(CancellationToken.None))!;
            Console.WriteLine($"checkpoint of {checkpoint.Id:N0} events (read every leaf, build the tree, sign): {clock.Elapsed.TotalSeconds:F1} s, {memory.Stop()}");
            // Proofs from the tree the checkpoint kept, against the same proofs rebuilt from every leaf (as before the
            // tree was kept), and from a tree built on first use (another instance's checkpoint, or after a restart).
            List<byte[]>? leafHashes = [];
            await foreach (var leaf in ledger.LeavesAsync(CancellationToken.None, checkpoint.LastSequence)) leafHashes.Add(MerkleTree.LeafHash(leaf.Hash));
            var probe = checkpoint.Id / 3;
            clock.Restart();
            IReadOnlyList<byte[]>? rebuilt = MerkleTree.InclusionProof(leafHashes, (int)probe);
            var fromLeaves = clock.Elapsed;
            var kept = (await ledger.TreeAsync(checkpoint, CancellationToken.None))!;
            clock.Restart();
            const int proofs = 200;
            for (var p = 0; p < proofs; p++) await kept.InclusionProofAsync((probe + p * 4999) % checkpoint.Id, CancellationToken.None);
            var fromKept = clock.Elapsed / proofs;
            var same = (await kept.InclusionProofAsync(probe, CancellationToken.None))!.Zip(rebuilt).All(x => x.First.AsSpan().SequenceEqual(x.Second));
            clock.Restart();
            for (var p = 0; p < proofs; p++) await kept.ConsistencyProofAsync(1 + (probe + p * 4999) % checkpoint.Id, CancellationToken.None);
            var consistency = clock.Elapsed / proofs;
            Console.WriteLine($"inclusion proof: from every leaf {fromLeaves.TotalMilliseconds:F0} ms; from the kept tree {fromKept.TotalMilliseconds:F2} ms " +
                $"(reading back the chunks of {LedgerTree.DefaultChunk} events it needs; {fromLeaves / fromKept:F0}x); same proof: {same}; " +
                $"consistency proof from the kept tree {consistency.TotalMilliseconds:F2} ms; builds so far: {ledger.TreesBuilt}");
            leafHashes = null;
            rebuilt = null;
            var elsewhere = new EventLedger(db, store, key, new LedgerOptions(), NodaTime.SystemClock.Instance, NullLogger<EventLedger>.Instance);
            clock.Restart();
            memory = MemoryPeak.Start();
            await elsewhere.TreeAsync(checkpoint, CancellationToken.None);
            var built = memory.Stop();
            Console.WriteLine($"a tree built on first use (read the leaves, hash them): {clock.Elapsed.TotalSeconds:F1} s, then kept, {built}; " +
                $"the kept tree holds {memory.Retained() / 1_048_576.0:N1} MB");
            elsewhere.Dispose();
            clock.Restart();
            memory = MemoryPeak.Start();
            var (valid, _) = await ledger.VerifyAsync(checkpoint, CancellationToken.None);
            Console.WriteLine($"full verification (every event's hash recomputed from its data, then the root): {clock.Elapsed.TotalSeconds:F1} s, valid: {valid}, " +
                $"{clock.Elapsed.TotalMilliseconds * 1000 / checkpoint.Id:F1} µs per event, {memory.Stop()}");
            return valid ? 0 : 1;
        }
        finally
        {
            await PostgresServer.StopAsync();
        }
    }

    /// <summary>Cases of 10 notes each, written with COPY: the JSON and the hashes exactly as the write path makes them.</summary>
    private static async Task SeedAsync(NpgsqlDataSource db, int events)
    {
        var type = typeof(SafeguardingCases.Domain.Cases.NoteAdded);
        var dotnetType = $"{type.FullName}, {type.Assembly.GetName().Name}";
        await using var connection = await db.OpenConnectionAsync();
        var cases = Enumerable.Range(0, (events + 9) / 10).Select(_ => Guid.NewGuid()).ToArray();
        await using (var streams = await connection.BeginBinaryImportAsync(
            $"copy {MartenSetup.StreamsTable} (id, type, version, timestamp, tenant_id) from stdin (format binary)"))
        {
            for (var c = 0; c < cases.Length; c++)
            {
                await streams.StartRowAsync();
                await streams.WriteAsync(cases[c]);
                await streams.WriteAsync("case_stream");
                await streams.WriteAsync((long)Math.Min(10, events - c * 10));
                await streams.WriteAsync(DateTimeOffset.UtcNow, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                await streams.WriteAsync("*DEFAULT*");
            }
            await streams.CompleteAsync();
        }
        await using (var writer = await connection.BeginBinaryImportAsync(
            $"copy {MartenSetup.EventsTable} (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers) from stdin (format binary)"))
        {
            var previous = EventHashChain.Genesis;
            var caseId = Guid.Empty;
            var at = DateTimeOffset.UtcNow.AddDays(-30);
            for (var n = 0; n < events; n++)
            {
                var version = n % 10 + 1;
                if (version == 1) (caseId, previous) = (cases[n / 10], EventHashChain.Genesis);
                var when = at.AddMilliseconds(n);
                var json = $$"""{"at": "{{when:yyyy-MM-ddTHH:mm:ss.fffffffZ}}", "by": {"name": "Officer", "roles": ["SafeguardingOfficer"], "subject": "officer-1"}, "text": "Called the user back; they are safe tonight.", "noteId": "{{Guid.NewGuid()}}"}""";
                var hash = EventHashChain.Hash(previous, caseId, version, "NoteAdded", json);
                await writer.StartRowAsync();
                await writer.WriteAsync((long)n + 1);
                await writer.WriteAsync(Guid.NewGuid());
                await writer.WriteAsync(caseId);
                await writer.WriteAsync((long)version);
                await writer.WriteAsync(json, NpgsqlTypes.NpgsqlDbType.Jsonb);
                await writer.WriteAsync("note_added");
                await writer.WriteAsync("*DEFAULT*");
                await writer.WriteAsync(when, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(dotnetType);
                await writer.WriteAsync(false);
                await writer.WriteAsync($$"""{"hash": "{{hash}}"}""", NpgsqlTypes.NpgsqlDbType.Jsonb);
                previous = hash;
            }
            await writer.CompleteAsync();
        }
    }
}

/// <summary>
/// The most memory one phase held: the managed heap after each collection the phase caused (what it kept alive, read
/// from the GC's own record of each collection, sampled every 10 ms), and the process's working set (what a container's
/// memory limit counts). Measured from the heap after a full collection at the start, so what earlier phases keep is not counted.
/// </summary>
internal sealed class MemoryPeak
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task sampler;
    private readonly long startHeap;
    private long heap;
    private long workingSet;

    private MemoryPeak()
    {
        startHeap = GC.GetTotalMemory(forceFullCollection: true);
        sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Sample();
                try { await Task.Delay(10, stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public static MemoryPeak Start() => new();

    private void Sample()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        heap = Math.Max(heap, info.HeapSizeBytes - info.FragmentedBytes);
        workingSet = Math.Max(workingSet, Environment.WorkingSet);
    }

    /// <summary>What is still alive, above where the phase began, after a full collection.</summary>
    public long Retained() => GC.GetTotalMemory(forceFullCollection: true) - startHeap;

    public string Stop()
    {
        stop.Cancel();
        sampler.Wait();
        Sample();
        return $"heap held {(heap - startHeap) / 1_048_576.0:N0} MB above where it began (peak after a collection), peak working set {workingSet / 1_048_576.0:N0} MB";
    }
}
