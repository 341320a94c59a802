using System.Numerics;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>Reads back the leaves whose sequence numbers lie in [from, to], in sequence order (the event store, or a list).</summary>
public delegate Task<IReadOnlyList<Leaf>> LeafReader(long fromSequence, long toSequence, CancellationToken ct);

/// <summary>
/// The RFC 9162 tree of one signed checkpoint, built in one pass over its leaves and kept: the hash of every complete,
/// aligned subtree of at least <c>chunk</c> leaves, the sequence number each chunk starts at, and the leaves of the last,
/// incomplete chunk. So a tree of n events holds about 2n/chunk hashes (about 1 MB at ten million events with chunks of
/// 1,024, where keeping every node took 720 MB), and a proof folds O(log n) kept hashes with the leaves of at most two
/// chunks, read back by sequence range and checked against the chunk's kept hash (a chunk altered since is no proof).
/// A tree built from a list in memory (an export's) with chunks of one keeps every node and proves without reading.
/// </summary>
public sealed class LedgerTree
{
    /// <summary>Leaves per chunk in the ledger's trees: a proof reads at most two chunks back (a few milliseconds).</summary>
    public const int DefaultChunk = 1024;

    private readonly int chunk;
    /// <summary>levels[j]: the hashes of the aligned subtrees of chunk·2^j leaves, in order.</summary>
    private readonly List<List<byte[]>> levels;
    /// <summary>The sequence number of each complete chunk's first leaf.</summary>
    private readonly long[] chunkFirst;
    private readonly byte[][] tailHashes;
    private readonly long[] tailSequences;
    private readonly long lastSequence;
    private readonly LeafReader read;
    /// <summary>Chunks read back and checked lately (a few; proofs of one checkpoint tend to ask for the same ones).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (long[] Sequences, byte[][] Hashes)> chunksRead = new();

    private LedgerTree(int chunk, long size, List<List<byte[]>> levels, long[] chunkFirst, byte[][] tailHashes, long[] tailSequences,
        long lastSequence, LeafReader read)
    {
        (this.chunk, Size, this.levels, this.chunkFirst) = (chunk, size, levels, chunkFirst);
        (this.tailHashes, this.tailSequences, this.lastSequence, this.read) = (tailHashes, tailSequences, lastSequence, read);
    }

    public long Size { get; }

    /// <summary>A tree of leaves held in memory, every node kept (chunks of one): an export's, or a test's.</summary>
    public static LedgerTree Build(IReadOnlyList<Leaf> leaves, int chunk = 1)
    {
        var builder = new Builder(chunk);
        foreach (var leaf in leaves) builder.Add(leaf.Sequence, leaf.Hash);
        return builder.Build((from, to, _) =>
            Task.FromResult<IReadOnlyList<Leaf>>([.. leaves.Where(l => l.Sequence >= from && l.Sequence <= to)]));
    }

    /// <summary>
    /// Builds a tree in one pass over leaves in sequence order, holding O(log n) hashes besides what the tree keeps.
    /// Can note the root of the first <c>prefixSize</c> leaves on the way (a checkpoint checks the log still extends
    /// the last signed tree).
    /// </summary>
    public sealed class Builder
    {
        private readonly int chunk;
        private readonly long? prefixSize;
        private readonly MerkleTree.Frontier frontier;
        private readonly List<List<byte[]>> levels = [];
        private readonly List<long> chunkFirst = [];
        private readonly List<byte[]> tailHashes = [];
        private readonly List<long> tailSequences = [];
        private readonly int chunkLevel;

        public Builder(int chunk = DefaultChunk, long? prefixSize = null)
        {
            chunkLevel = BitOperations.IsPow2(chunk) ? BitOperations.Log2((uint)chunk)
                : throw new ArgumentOutOfRangeException(nameof(chunk), "A chunk is a power of two leaves.");
            (this.chunk, this.prefixSize) = (chunk, prefixSize);
            frontier = new MerkleTree.Frontier(Keep);
        }

        public long Count => frontier.Count;
        public long LastSequence { get; private set; }

        /// <summary>The root of the first prefixSize leaves, once that many were added.</summary>
        public byte[]? PrefixRoot { get; private set; }

        public void Add(long sequence, ReadOnlySpan<byte> leaf)
        {
            var hash = MerkleTree.LeafHash(leaf);
            if (Count % chunk == 0)
            {
                tailHashes.Clear();
                tailSequences.Clear();
            }
            tailHashes.Add(hash);
            tailSequences.Add(sequence);
            frontier.Push(hash);
            LastSequence = sequence;
            if (Count % chunk == 0) chunkFirst.Add(tailSequences[0]);
            if (Count == prefixSize) PrefixRoot = Fold();
        }

        /// <summary>Every complete aligned subtree of a chunk or more is kept as it completes.</summary>
        private void Keep(byte[] hash, long size)
        {
            if (size < chunk) return;
            var level = BitOperations.Log2((ulong)size) - chunkLevel;
            if (levels.Count == level) levels.Add([]);
            levels[level].Add(hash);
        }

        public byte[] Fold() => frontier.Root();

        public LedgerTree Build(LeafReader read)
        {
            var complete = Count % chunk == 0;
            return new LedgerTree(chunk, Count, levels, [.. chunkFirst], complete ? [] : [.. tailHashes], complete ? [] : [.. tailSequences],
                LastSequence, read);
        }
    }

    public byte[] Root => Size == 0 ? MerkleTree.EmptyRoot : Subtree(0, Size, NoChunk);

    private long CompleteChunks => chunkFirst.LongLength;

    /// <summary>The hash of the <paramref name="count"/> leaves from <paramref name="start"/>, as RFC 9162's recursion splits them.</summary>
    private byte[] Subtree(long start, long count, Func<long, byte[][]> chunkLeaves)
    {
        if (BitOperations.IsPow2(count) && start % count == 0)
        {
            if (count >= chunk) return levels[BitOperations.Log2((ulong)(count / chunk))][(int)(start / count)];
            var leaves = chunkLeaves(start / chunk);
            var from = (int)(start % chunk);
            return MerkleTree.Root(new ArraySegment<byte[]>(leaves, from, (int)count));
        }
        var k = MerkleTree.SplitPoint(count);
        return MerkleTree.NodeHash(Subtree(start, k, chunkLeaves), Subtree(start + k, count - k, chunkLeaves));
    }

    private byte[][] NoChunk(long c) => c == CompleteChunks ? tailHashes
        : throw new InvalidOperationException("This tree keeps only whole chunks; ask for the proof with the async methods.");

    /// <summary>An inclusion proof in a tree that keeps every node (chunks of one).</summary>
    public IReadOnlyList<byte[]> InclusionProof(long index) => MerkleTree.InclusionProof(Size, index, (s, n) => Subtree(s, n, NoChunk));

    /// <summary>RFC 9162 2.1.3.1: the audit path of leaf <paramref name="index"/>; null when a chunk it needs was altered.</summary>
    public Task<IReadOnlyList<byte[]>?> InclusionProofAsync(long index, CancellationToken ct) =>
        ProveAsync(subtree => MerkleTree.InclusionProof(Size, index, subtree), ct);

    /// <summary>RFC 9162 2.1.4.1: that the first <paramref name="m"/> leaves are a prefix; null when a chunk it needs was altered.</summary>
    public Task<IReadOnlyList<byte[]>?> ConsistencyProofAsync(long m, CancellationToken ct) =>
        ProveAsync(subtree => MerkleTree.ConsistencyProof(Size, m, subtree), ct);

    /// <summary>Runs a proof once to learn which chunks it reaches into, reads and checks those, then runs it for real.</summary>
    private async Task<IReadOnlyList<byte[]>?> ProveAsync(Func<Func<long, long, byte[]>, IReadOnlyList<byte[]>> prove, CancellationToken ct)
    {
        var needed = new HashSet<long>();
        var standIn = Enumerable.Repeat(new byte[32], chunk).ToArray();
        prove((s, n) => Subtree(s, n, c =>
        {
            needed.Add(c);
            return standIn;
        }));
        var chunks = new Dictionary<long, byte[][]>();
        foreach (var c in needed)
        {
            if (await ChunkAsync(c, ct) is not { } leaves) return null;
            chunks[c] = leaves.Hashes;
        }
        return prove((s, n) => Subtree(s, n, c => chunks[c]));
    }

    /// <summary>
    /// Where the event with this sequence number sits in the tree, and its leaf hash as signed; null when it is not a leaf
    /// of this tree, or its chunk no longer makes the hash the tree kept.
    /// </summary>
    public async Task<(long Index, byte[] LeafHash)?> LeafAsync(long sequence, CancellationToken ct)
    {
        if (Size == 0 || sequence > lastSequence) return null;
        long c;
        if (tailSequences.Length > 0 && sequence >= tailSequences[0]) c = CompleteChunks;
        else if ((c = Array.BinarySearch(chunkFirst, sequence)) < 0 && (c = ~c - 1) < 0) return null;
        if (await ChunkAsync(c, ct) is not { } leaves) return null;
        var i = Array.BinarySearch(leaves.Sequences, sequence);
        return i >= 0 ? (c * chunk + i, leaves.Hashes[i]) : null;
    }

    /// <summary>Chunk <paramref name="c"/>'s sequence numbers and leaf hashes: the tail as kept, a whole chunk read back and checked.</summary>
    private async Task<(long[] Sequences, byte[][] Hashes)?> ChunkAsync(long c, CancellationToken ct)
    {
        if (c == CompleteChunks) return (tailSequences, tailHashes);
        if (chunksRead.TryGetValue(c, out var known)) return known;
        var to = c + 1 < CompleteChunks ? chunkFirst[c + 1] - 1 : tailSequences.Length > 0 ? tailSequences[0] - 1 : lastSequence;
        var leaves = await read(chunkFirst[c], to, ct);
        if (leaves.Count != chunk) return null;
        var hashes = leaves.Select(l => MerkleTree.LeafHash(l.Hash)).ToArray();
        if (!MerkleTree.Root(hashes).AsSpan().SequenceEqual(levels[0][(int)c])) return null;
        var checkedChunk = (leaves.Select(l => l.Sequence).ToArray(), hashes);
        if (chunksRead.Count >= ChunksKept) chunksRead.Clear();
        chunksRead[c] = checkedChunk;
        return checkedChunk;
    }

    private const int ChunksKept = 8;
}
