using System.Diagnostics;
using System.Security.Cryptography;
using SafeguardingCases.Api.Infrastructure.Ledger;

namespace SafeguardingCases.Api.Tests.Ledger;

/// <summary>
/// The ledger's Merkle tree against RFC 6962/9162's reference vectors, and its proofs against verifiers written from
/// RFC 9162 sections 2.1.3.2 and 2.1.4.2 (independent of how the proofs are built); a checkpoint's signature against
/// openssl.
/// </summary>
public sealed class MerkleTreeTests
{
    /// <summary>The reference leaves and roots of the Certificate Transparency test vectors.</summary>
    private static readonly byte[][] Leaves =
    [
        [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
        [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        [0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
    ];

    private static readonly string[] Roots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    private static byte[][] LeafHashes(int n) => [.. Leaves.Take(n).Select(l => MerkleTree.LeafHash(l))];

    private static byte[][] Generated(int n) => [.. Enumerable.Range(0, n).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i * 7919)))];

    [Fact]
    public async Task A_kept_tree_gives_the_reference_roots_and_the_same_proofs_as_the_leaves_do_whatever_its_chunk()
    {
        for (var n = 0; n <= Leaves.Length; n++)
        {
            foreach (var chunk in new[] { 1, 2, 4 })
            {
                var kept = LedgerTree.Build([.. Leaves.Take(n).Select((l, i) => new Leaf(i + 1, Guid.Empty, i + 1, l))], chunk);
                Convert.ToHexStringLower(kept.Root).ShouldBe(Roots[n], $"tree of {n}, chunks of {chunk}");
            }
        }
        for (var n = 1; n <= 70; n++)
        {
            var data = Enumerable.Range(0, n).Select(i => BitConverter.GetBytes(i * 7919)).ToArray();
            var hashes = data.Select(d => MerkleTree.LeafHash(d)).ToList();
            foreach (var chunk in new[] { 1, 2, 4, 16 })
            {
                var kept = LedgerTree.Build([.. data.Select((d, i) => new Leaf(10 + 2 * i, Guid.Empty, i + 1, d))], chunk);
                kept.Root.ShouldBe(MerkleTree.Root(hashes));
                var last = (await kept.LeafAsync(10 + 2 * (n - 1), default))!.Value;
                last.Index.ShouldBe(n - 1);
                last.LeafHash.ShouldBe(hashes[n - 1]);
                (await kept.LeafAsync(10, default))!.Value.Index.ShouldBe(0);
                (await kept.LeafAsync(11, default)).ShouldBeNull("not a leaf's sequence number");
                (await kept.LeafAsync(9, default)).ShouldBeNull("before the first leaf");
                for (var i = 0; i < n; i++)
                {
                    var proof = await kept.InclusionProofAsync(i, default);
                    proof.ShouldBe(MerkleTree.InclusionProof(hashes, i), $"inclusion of {i} in {n}, chunks of {chunk}");
                    if (chunk == 1) kept.InclusionProof(i).ShouldBe(proof);
                }
                for (var m = 0; m <= n; m++)
                    (await kept.ConsistencyProofAsync(m, default)).ShouldBe(MerkleTree.ConsistencyProof(hashes, m), $"consistency of {m} with {n}, chunks of {chunk}");
            }
        }
    }

    [Fact]
    public async Task A_chunk_read_back_that_no_longer_makes_its_kept_hash_gives_no_proof()
    {
        var leaves = Enumerable.Range(0, 18).Select(i => new Leaf(i + 1, Guid.Empty, i + 1, BitConverter.GetBytes(i))).ToList();
        var builder = new LedgerTree.Builder(chunk: 4);
        foreach (var leaf in leaves) builder.Add(leaf.Sequence, leaf.Hash);
        // The store as it is now: leaf 6 (sequence 7, in the second chunk) was altered after the tree was built.
        var altered = leaves.Select(l => l.Sequence == 7 ? l with { Hash = [0xff] } : l).ToList();
        var tree = builder.Build((from, to, _) => Task.FromResult<IReadOnlyList<Leaf>>([.. altered.Where(l => l.Sequence >= from && l.Sequence <= to)]));
        (await tree.InclusionProofAsync(5, default)).ShouldBeNull("its chunk no longer makes the hash the tree kept");
        (await tree.LeafAsync(6, default)).ShouldBeNull();
        (await tree.InclusionProofAsync(0, default)).ShouldNotBeNull("the first chunk is as it was");
        (await tree.InclusionProofAsync(17, default)).ShouldNotBeNull("the last, incomplete chunk is kept, not read back");
        // A chunk with an event missing is no proof either.
        var missing = leaves.Where(l => l.Sequence != 10).ToList();
        var gone = builder.Build((from, to, _) => Task.FromResult<IReadOnlyList<Leaf>>([.. missing.Where(l => l.Sequence >= from && l.Sequence <= to)]));
        (await gone.InclusionProofAsync(9, default)).ShouldBeNull();
    }

    [Fact]
    public void Roots_match_the_reference_vectors()
    {
        for (var n = 0; n <= 8; n++) Convert.ToHexStringLower(MerkleTree.Root(LeafHashes(n))).ShouldBe(Roots[n], $"size {n}");
    }

    [Fact]
    public void Every_inclusion_proof_verifies_and_a_wrong_leaf_does_not()
    {
        foreach (var leaves in new[] { LeafHashes(8) }.Concat(Enumerable.Range(1, 40).Select(Generated)))
        {
            for (var n = 1; n <= leaves.Length; n++)
            {
                var tree = leaves.Take(n).ToArray();
                var root = MerkleTree.Root(tree);
                for (var i = 0; i < n; i++)
                {
                    var proof = MerkleTree.InclusionProof(tree, i);
                    VerifyInclusion(i, n, tree[i], proof, root).ShouldBeTrue($"leaf {i} of {n}");
                    VerifyInclusion(i, n, MerkleTree.LeafHash([0xff]), proof, root).ShouldBeFalse();
                }
            }
        }
    }

    [Fact]
    public void Every_consistency_proof_verifies_and_a_rewritten_history_does_not()
    {
        var leaves = Generated(40);
        for (var n = 1; n <= leaves.Length; n++)
        {
            var newer = leaves.Take(n).ToArray();
            var newRoot = MerkleTree.Root(newer);
            for (var m = 1; m <= n; m++)
            {
                var oldRoot = MerkleTree.Root(newer.Take(m));
                var proof = MerkleTree.ConsistencyProof(newer, m);
                VerifyConsistency(m, n, oldRoot, newRoot, proof).ShouldBeTrue($"{m} -> {n}");
                if (m < n)
                {
                    var rewritten = newer.ToArray();
                    rewritten[m - 1] = MerkleTree.LeafHash([0xee]);
                    VerifyConsistency(m, n, oldRoot, MerkleTree.Root(rewritten), MerkleTree.ConsistencyProof(rewritten, m))
                        .ShouldBeFalse($"{m} -> {n} after rewriting leaf {m - 1}");
                }
            }
        }
    }

    [Fact]
    public async Task A_checkpoint_signature_verifies_with_openssl_and_an_altered_note_does_not()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var checkpoint = Checkpoint.Sign("safeguarding-cases/test", 8, Convert.FromHexString(Roots[8]), key, NodaTime.SystemClock.Instance.GetCurrentInstant());
        checkpoint.Verify(key).ShouldBeTrue();
        checkpoint.Note.ShouldBe($"safeguarding-cases/test\n8\n{Convert.ToBase64String(Convert.FromHexString(Roots[8]))}\n");

        var dir = Directory.CreateTempSubdirectory("checkpoint-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "key.pem"), key.ExportSubjectPublicKeyInfoPem());
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "sig.der"), Convert.FromBase64String(checkpoint.Signature));
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "note.txt"), checkpoint.Note);
            (await OpenSsl(dir.FullName, "note.txt")).ShouldBe("Verified OK");

            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "altered.txt"), checkpoint.Note.Replace("\n8\n", "\n9\n", StringComparison.Ordinal));
            (await OpenSsl(dir.FullName, "altered.txt")).ShouldBe("Verification failure");
            (checkpoint with { TreeSize = 9 }).Verify(key).ShouldBeFalse();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<string> OpenSsl(string dir, string note)
    {
        var start = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "dgst", "-sha256", "-verify", "key.pem", "-signature", "sig.der", note }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }

    /// <summary>RFC 9162 section 2.1.3.2, as written.</summary>
    /// <summary>An inclusion proof as the API answers it (<c>/audit/proofs/inclusion</c>), checked against a signed checkpoint.</summary>
    internal static bool ProvesInclusion(System.Text.Json.Nodes.JsonNode inclusion, Checkpoint checkpoint) =>
        VerifyInclusion(inclusion["leafIndex"]!.GetValue<long>(), checkpoint.TreeSize,
            MerkleTree.LeafHash(Convert.FromHexString(inclusion["leaf"]!.GetValue<string>())),
            [.. inclusion["auditPath"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))],
            Convert.FromBase64String(checkpoint.RootHash));

    /// <summary>A consistency proof as the API answers it (<c>/audit/proofs/consistency</c>), checked between two signed checkpoints.</summary>
    internal static bool ProvesConsistency(System.Text.Json.Nodes.JsonNode consistency, Checkpoint from, Checkpoint to) =>
        VerifyConsistency(from.TreeSize, to.TreeSize, Convert.FromBase64String(from.RootHash), Convert.FromBase64String(to.RootHash),
            [.. consistency["proof"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))]);

    internal static bool VerifyInclusion(long index, long size, byte[] leafHash, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (index >= size) return false;
        long fn = index, sn = size - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleTree.NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    do { fn >>= 1; sn >>= 1; } while ((fn & 1) == 0 && fn != 0);
                }
            }
            else
            {
                r = MerkleTree.NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 section 2.1.4.2, as written.</summary>
    internal static bool VerifyConsistency(long first, long second, byte[] firstHash, byte[] secondHash, IReadOnlyList<byte[]> proof)
    {
        if (first == second) return proof.Count == 0 && firstHash.AsSpan().SequenceEqual(secondHash);
        if (first > second || proof.Count == 0) return false;
        var path = (first & (first - 1)) == 0 ? new List<byte[]> { firstHash }.Concat(proof).ToList() : proof.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1) { fn >>= 1; sn >>= 1; }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleTree.NodeHash(c, fr);
                sr = MerkleTree.NodeHash(c, sr);
                if ((fn & 1) == 0)
                {
                    do { fn >>= 1; sn >>= 1; } while ((fn & 1) == 0 && fn != 0);
                }
            }
            else
            {
                sr = MerkleTree.NodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return fr.AsSpan().SequenceEqual(firstHash) && sr.AsSpan().SequenceEqual(secondHash) && sn == 0;
    }
}
