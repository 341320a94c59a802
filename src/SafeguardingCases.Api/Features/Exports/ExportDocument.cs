using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Exports;

/// <summary>
/// One entry of an exported chronology: the instant (ISO 8601 text, exactly as hashed), the case version, what
/// happened in words, who by role (with a name for Internal and Court), the rule IDs of any decision, the event's hash
/// in the case's chain, and its place and inclusion proof in the export's signed tree.
/// </summary>
public sealed record ExportEntry(long Version, string At, string What, string By, IReadOnlyList<string> RuleIds, string Hash, long LeafIndex,
    IReadOnlyList<string> InclusionProof);

/// <summary>The signed checkpoint of an export's tree: the C2SP note, its ECDSA P-256 signature (base64 DER), the key's id, size and root.</summary>
public sealed record ExportCheckpoint(string Note, string Signature, string KeyId, long TreeSize, string RootHash);

/// <summary>
/// An exported chronology (DESIGN.md, Exports). Every entry is a leaf of an RFC 9162 tree whose signed checkpoint the
/// export carries, so a recipient checks it offline with the service's public key: see <see cref="ExportProof"/>.
/// </summary>
public sealed record ChronologyExport(
    Guid ExportId,
    Guid CaseId,
    ExportAudience Audience,
    Agency? Agency,
    string? Recipient,
    string? Purpose,
    Instant GeneratedAt,
    IReadOnlyList<ExportEntry> Entries,
    ExportCheckpoint Checkpoint,
    IReadOnlyList<Redaction>? Redactions,
    string HowToVerify);

/// <summary>
/// How an export proves itself. Leaf <c>i</c> of the export's tree is the RFC 8785 canonical JSON (keys sorted, no white
/// space, minimal escaping) of <c>{ at, by, caseId, hash, ruleIds, version, what }</c> of entry <c>i</c>; the tree is
/// RFC 9162's (leaf hash SHA-256(0x00 || leaf), node hash SHA-256(0x01 || left || right)); the checkpoint's note is
/// <c>safeguarding-cases/export/{exportId}\n{treeSize}\n{base64 root}\n</c>, signed with the ledger's key. Changing,
/// adding, removing or reordering an entry breaks that entry's proof or the tree size.
/// </summary>
public static class ExportProof
{
    public const string OriginPrefix = "safeguarding-cases/export/";

    public static string OriginOf(Guid exportId) => $"{OriginPrefix}{exportId:D}";

    public static readonly string HowToVerify =
        "Verify offline with the service's public key (GET /audit/checkpoints/public-key): " +
        "'dotnet SafeguardingCases.Api.dll verify-export FILE --public-key key.pem' for the JSON export; or check the checkpoint's " +
        "signature with 'openssl dgst -sha256 -verify key.pem -signature sig.der note.txt' and each entry's RFC 9162 inclusion proof " +
        "(leaf: the RFC 8785 JSON of at, by, caseId, hash, ruleIds, version, what) against its root hash, as the README shows.";

    /// <summary>The instant as the export writes it (and hashes it).</summary>
    public static string AtText(Instant at) => InstantPattern.ExtendedIso.Format(at);

    /// <summary>The leaf bytes of one entry: RFC 8785 canonical JSON.</summary>
    public static byte[] Leaf(Guid caseId, long version, string at, string what, string by, IReadOnlyList<string> ruleIds, string hash)
    {
        var b = new StringBuilder(256);
        b.Append("{\"at\":").Append(Quote(at))
            .Append(",\"by\":").Append(Quote(by))
            .Append(",\"caseId\":").Append(Quote(caseId.ToString("D")))
            .Append(",\"hash\":").Append(Quote(hash))
            .Append(",\"ruleIds\":[").AppendJoin(',', ruleIds.Select(Quote)).Append(']')
            .Append(",\"version\":").Append(version.ToString(CultureInfo.InvariantCulture))
            .Append(",\"what\":").Append(Quote(what)).Append('}');
        return Encoding.UTF8.GetBytes(b.ToString());
    }

    /// <summary>RFC 8785 string: only the quote, the backslash and control characters are escaped.</summary>
    private static string Quote(string value)
    {
        var b = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': b.Append("\\\""); break;
                case '\\': b.Append("\\\\"); break;
                case '\b': b.Append("\\b"); break;
                case '\f': b.Append("\\f"); break;
                case '\n': b.Append("\\n"); break;
                case '\r': b.Append("\\r"); break;
                case '\t': b.Append("\\t"); break;
                default:
                    if (c < 0x20) b.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else b.Append(c);
                    break;
            }
        }
        return b.Append('"').ToString();
    }

    /// <summary>The chronology's entries with their proofs, and the signed checkpoint of their tree.</summary>
    public static (IReadOnlyList<ExportEntry> Entries, ExportCheckpoint Checkpoint) Prove(Guid exportId, Guid caseId,
        IReadOnlyList<(ChronologyEntry Entry, string Hash)> entries, EventLedger ledger)
    {
        var texts = entries.Select(x => (x.Entry, x.Hash, At: AtText(x.Entry.At))).ToList();
        var leaves = texts.Select((x, i) => new Leaf(i, caseId, x.Entry.Version, Leaf(caseId, x.Entry.Version, x.At, x.Entry.What, x.Entry.By, x.Entry.RuleIds, x.Hash)))
            .ToList();
        var tree = LedgerTree.Build(leaves);
        var signed = ledger.Sign(OriginOf(exportId), tree.Size, tree.Root);
        var proven = texts.Select((x, i) => new ExportEntry(x.Entry.Version, x.At, x.Entry.What, x.Entry.By, x.Entry.RuleIds, x.Hash, i,
            [.. tree.InclusionProof(i).Select(Convert.ToBase64String)])).ToList();
        return (proven, new ExportCheckpoint(signed.Note, signed.Signature, signed.KeyId, signed.TreeSize, signed.RootHash));
    }

    /// <summary>The outcome of checking an export: valid, or the first thing wrong (and the entry, when one is).</summary>
    public sealed record Verdict(bool Valid, string Message, int? FailedEntry = null, long? FailedVersion = null);

    /// <summary>
    /// Checks a saved JSON export with the public key alone: the checkpoint's signature and note, the tree size, and
    /// every entry's leaf and inclusion proof against the signed root. Names the first entry that fails.
    /// </summary>
    public static Verdict Verify(string json, ECDsa publicKey)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var exportId = root.GetProperty("exportId").GetGuid();
        var caseId = root.GetProperty("caseId").GetGuid();
        var checkpoint = root.GetProperty("checkpoint");
        var note = checkpoint.GetProperty("note").GetString() ?? "";
        var signature = Convert.FromBase64String(checkpoint.GetProperty("signature").GetString() ?? "");
        if (!publicKey.VerifyData(Encoding.UTF8.GetBytes(note), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            return new(false, "The checkpoint's signature does not verify with this public key.");
        var lines = note.Split('\n');
        if (lines.Length != 4 || lines[3].Length != 0 || lines[0] != OriginOf(exportId)
            || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var treeSize))
            return new(false, $"The signed note is not the checkpoint of export {exportId}.");
        var signedRoot = Convert.FromBase64String(lines[2]);
        var entries = root.GetProperty("entries");
        if (entries.GetArrayLength() != treeSize)
            return new(false, $"The export holds {entries.GetArrayLength()} entries; its signed checkpoint covers {treeSize}: entries were added or removed.");
        var i = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            var version = entry.GetProperty("version").GetInt64();
            var leaf = Leaf(caseId, version, entry.GetProperty("at").GetString() ?? "", entry.GetProperty("what").GetString() ?? "",
                entry.GetProperty("by").GetString() ?? "", [.. entry.GetProperty("ruleIds").EnumerateArray().Select(r => r.GetString() ?? "")],
                entry.GetProperty("hash").GetString() ?? "");
            var proof = entry.GetProperty("inclusionProof").EnumerateArray().Select(p => Convert.FromBase64String(p.GetString() ?? "")).ToList();
            if (entry.GetProperty("leafIndex").GetInt64() != i
                || MerkleTree.RootFromInclusionProof(i, treeSize, MerkleTree.LeafHash(leaf), proof) is not { } computed
                || !computed.AsSpan().SequenceEqual(signedRoot))
                return new(false, $"Entry {i} (case version {version}) fails: it is not the entry the checkpoint signed.", i, version);
            i++;
        }
        return new(true, $"VALID: {treeSize} entries of export {exportId} (case {caseId}), each proven against the signed checkpoint.");
    }
}
