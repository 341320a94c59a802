using System.Numerics;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// The RFC 9162 tree of one signed checkpoint, built once and kept: the hash of every complete, aligned subtree, level by
/// level (2n hashes of 32 bytes for n leaves), and each leaf's event sequence number. Any subtree the RFC's proofs ask
/// for is one lookup or a fold of O(log n) lookups, so a proof costs microseconds instead of rehashing every event.
/// </summary>
public sealed class LedgerTree
{
    private const int HashSize = 32;

    /// <summary>levels[k]: the hashes of the subtrees of 2^k leaves starting at multiples of 2^k, end to end.</summary>
    private readonly List<byte[]> levels;
    private readonly long[] sequences;

    private LedgerTree(List<byte[]> levels, long[] sequences) => (this.levels, this.sequences) = (levels, sequences);

    public long Size => sequences.Length;

    public static LedgerTree Build(IReadOnlyList<Leaf> leaves)
    {
        var level = new byte[leaves.Count * HashSize];
        var sequences = new long[leaves.Count];
        for (var i = 0; i < leaves.Count; i++)
        {
            MerkleTree.LeafHash(leaves[i].Hash).CopyTo(level, i * HashSize);
            sequences[i] = leaves[i].Sequence;
        }
        var levels = new List<byte[]> { level };
        while (level.Length >= 2 * HashSize)
        {
            var count = level.Length / HashSize / 2;
            var next = new byte[count * HashSize];
            for (var j = 0; j < count; j++)
            {
                MerkleTree.NodeHash(level.AsSpan(2 * j * HashSize, HashSize), level.AsSpan((2 * j + 1) * HashSize, HashSize))
                    .CopyTo(next, j * HashSize);
            }
            levels.Add(level = next);
        }
        return new LedgerTree(levels, sequences);
    }

    public byte[] Root => Size == 0 ? MerkleTree.EmptyRoot : Subtree(0, Size);

    /// <summary>The hash of the <paramref name="count"/> leaves from <paramref name="start"/>, as RFC 9162's recursion splits them.</summary>
    public byte[] Subtree(long start, long count)
    {
        if (BitOperations.IsPow2(count) && start % count == 0)
            return levels[BitOperations.Log2((ulong)count)].AsSpan((int)(start / count * HashSize), HashSize).ToArray();
        var k = MerkleTree.SplitPoint(count);
        return MerkleTree.NodeHash(Subtree(start, k), Subtree(start + k, count - k));
    }

    /// <summary>The leaf index of the event with this sequence number, or null when it is not a leaf of this tree.</summary>
    public long? IndexOf(long sequence) => Array.BinarySearch(sequences, sequence) is var i and >= 0 ? i : null;

    public IReadOnlyList<byte[]> InclusionProof(long index) => MerkleTree.InclusionProof(Size, index, Subtree);

    public IReadOnlyList<byte[]> ConsistencyProof(long m) => MerkleTree.ConsistencyProof(Size, m, Subtree);
}
