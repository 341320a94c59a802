using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// A signed checkpoint of the event log (DESIGN.md, Tamper evidence): <c>note</c> is the C2SP tlog-checkpoint body
/// (<c>origin\ntreeSize\nbase64(rootHash)\n</c>) and <c>signature</c> the base64 DER ECDSA P-256 signature over
/// SHA-256 of its UTF-8 bytes, so <c>openssl dgst -sha256 -verify key.pem -signature sig.der note.txt</c> verifies it.
/// </summary>
public sealed record Checkpoint(string Origin, long TreeSize, string RootHash, NodaTime.Instant SignedAt, string KeyId, string Note, string Signature)
{
    public static string NoteFor(string origin, long treeSize, byte[] rootHash) =>
        $"{origin}\n{treeSize.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(rootHash)}\n";

    public static Checkpoint Sign(string origin, long treeSize, byte[] rootHash, ECDsa key, NodaTime.Instant signedAt)
    {
        var note = NoteFor(origin, treeSize, rootHash);
        var signature = key.SignData(Encoding.UTF8.GetBytes(note), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return new Checkpoint(origin, treeSize, Convert.ToBase64String(rootHash), signedAt, KeyIdOf(key), note, Convert.ToBase64String(signature));
    }

    /// <summary>Whether the signature is the key's over the note, and the note says what the fields say.</summary>
    public bool Verify(ECDsa publicKey) =>
        Note == NoteFor(Origin, TreeSize, Convert.FromBase64String(RootHash))
        && publicKey.VerifyData(Encoding.UTF8.GetBytes(Note), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256,
            DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>The key's id: the first 8 bytes of SHA-256 of its public key (SubjectPublicKeyInfo DER), hex.</summary>
    public static string KeyIdOf(ECDsa key) => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo())[..8]);
}
