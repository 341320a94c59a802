using System.Security.Cryptography;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, section 2.1: leaf hash SHA-256(0x00 || leaf), node hash
/// SHA-256(0x01 || left || right), the tree split at the largest power of two below its size; inclusion proofs
/// (2.1.3.1) and consistency proofs (2.1.4.1). Functions of the leaf hashes only, so a tree of the event log can be
/// recomputed from the events as PostgreSQL holds them and compared with a signed root.
/// </summary>
public static class MerkleTree
{
    /// <summary>The root of the empty tree: SHA-256 of the empty string.</summary>
    public static byte[] EmptyRoot => SHA256.HashData([]);

    public static byte[] LeafHash(ReadOnlySpan<byte> leaf)
    {
        Span<byte> buffer = stackalloc byte[leaf.Length + 1];
        buffer[0] = 0x00;
        leaf.CopyTo(buffer[1..]);
        return SHA256.HashData(buffer);
    }

    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + left.Length + right.Length];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + left.Length)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>
    /// The tree head (MTH) over leaf hashes, in one pass with a stack of complete subtrees: O(n) time, O(log n) memory,
    /// so a million events verify without holding them.
    /// </summary>
    public static byte[] Root(IEnumerable<byte[]> leafHashes)
    {
        var frontier = new Frontier();
        foreach (var leaf in leafHashes) frontier.Push(leaf);
        return frontier.Root();
    }

    /// <summary>
    /// The right edge of a tree being built leaf by leaf: the complete, aligned subtrees that cover the leaves so far
    /// (at most one of each size, largest first), so the root of everything pushed is a fold of O(log n) hashes.
    /// <paramref name="completed"/> hears of every complete aligned subtree as it is made (a leaf is one of size 1).
    /// </summary>
    public sealed class Frontier(Action<byte[], long>? completed = null)
    {
        private readonly List<(byte[] Hash, long Size)> stack = [];

        public long Count { get; private set; }

        public void Push(byte[] leafHash)
        {
            var (hash, size) = (leafHash, 1L);
            completed?.Invoke(hash, size);
            while (stack.Count > 0 && stack[^1].Size == size)
            {
                hash = NodeHash(stack[^1].Hash, hash);
                size *= 2;
                stack.RemoveAt(stack.Count - 1);
                completed?.Invoke(hash, size);
            }
            stack.Add((hash, size));
            Count++;
        }

        /// <summary>The root of every leaf pushed: the unequal subtrees folded from the right (RFC 9162 splits at the largest power of two).</summary>
        public byte[] Root()
        {
            if (stack.Count == 0) return EmptyRoot;
            var root = stack[^1].Hash;
            for (var i = stack.Count - 2; i >= 0; i--) root = NodeHash(stack[i].Hash, root);
            return root;
        }
    }

    /// <summary>RFC 9162 2.1.3.1: the audit path of leaf <paramref name="index"/> in the tree of these leaf hashes.</summary>
    public static IReadOnlyList<byte[]> InclusionProof(IReadOnlyList<byte[]> leafHashes, int index) =>
        InclusionProof(leafHashes.Count, index, (start, n) => Root(Range(leafHashes, start, n)));

    /// <summary>
    /// RFC 9162 2.1.3.1 over a tree of <paramref name="size"/> leaves whose subtree hashes <paramref name="subtree"/>
    /// gives (start, leaf count): from the leaves, or from a tree kept with its interior hashes (<see cref="LedgerTree"/>).
    /// </summary>
    public static IReadOnlyList<byte[]> InclusionProof(long size, long index, Func<long, long, byte[]> subtree)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, size);
        var proof = new List<byte[]>();
        Path(subtree, 0, size, index, proof);
        return proof;
    }

    /// <summary>RFC 9162 2.1.4.1: the proof that the tree of the first <paramref name="m"/> leaves is a prefix of this one.</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(IReadOnlyList<byte[]> leafHashes, int m) =>
        ConsistencyProof(leafHashes.Count, m, (start, n) => Root(Range(leafHashes, start, n)));

    /// <summary>RFC 9162 2.1.4.1 over a tree of <paramref name="size"/> leaves whose subtree hashes <paramref name="subtree"/> gives.</summary>
    public static IReadOnlyList<byte[]> ConsistencyProof(long size, long m, Func<long, long, byte[]> subtree)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(m, size);
        var proof = new List<byte[]>();
        if (m > 0 && m < size) SubProof(subtree, 0, size, m, true, proof);
        return proof;
    }

    private static void Path(Func<long, long, byte[]> subtree, long start, long n, long m, List<byte[]> proof)
    {
        if (n <= 1) return;
        var k = SplitPoint(n);
        if (m < k)
        {
            Path(subtree, start, k, m, proof);
            proof.Add(subtree(start + k, n - k));
        }
        else
        {
            Path(subtree, start + k, n - k, m - k, proof);
            proof.Add(subtree(start, k));
        }
    }

    private static void SubProof(Func<long, long, byte[]> subtree, long start, long n, long m, bool whole, List<byte[]> proof)
    {
        if (m == n)
        {
            if (!whole) proof.Add(subtree(start, n));
            return;
        }
        var k = SplitPoint(n);
        if (m <= k)
        {
            SubProof(subtree, start, k, m, whole, proof);
            proof.Add(subtree(start + k, n - k));
        }
        else
        {
            SubProof(subtree, start + k, n - k, m - k, false, proof);
            proof.Add(subtree(start, k));
        }
    }

    private static IEnumerable<byte[]> Range(IReadOnlyList<byte[]> leaves, long start, long n)
    {
        for (var i = start; i < start + n; i++) yield return leaves[(int)i];
    }

    /// <summary>
    /// RFC 9162 2.1.3.2: the root an inclusion proof leads to from a leaf hash at <paramref name="index"/> in a tree of
    /// <paramref name="size"/> leaves, or null when the proof cannot be one for that position.
    /// </summary>
    public static byte[]? RootFromInclusionProof(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> proof)
    {
        if (index < 0 || index >= size) return null;
        long fn = index, sn = size - 1;
        var r = leafHash;
        foreach (var p in proof)
        {
            if (sn == 0 || p.Length != 32) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    /// <summary>The largest power of two smaller than <paramref name="n"/> (n &gt; 1).</summary>
    public static long SplitPoint(long n)
    {
        var k = 1L;
        while (k << 1 < n) k <<= 1;
        return k;
    }
}
