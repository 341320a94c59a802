using System.Security.Cryptography;
using System.Text;
using Marten;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Cases.Search;

/// <summary>
/// The keyed blind index of a case's references (PRIVACY-AT-REST, with search). Each reference, normalised (Unicode
/// NFKC, trimmed, lower case), is HMAC-SHA256'd under the reference index key (<c>CaseKeyRing.ReferenceIndexKey</c>,
/// stored wrapped by the key-encryption key) and cut to 128 bits. Without that key the values tell a database reader
/// only which cases share a reference, not what it is, and no one can test a guessed handle against them. A destroyed
/// case's references read as destroyed, so its row keeps no index values (DESTRUCTION-TWO-LEADS).
/// </summary>
public static class ReferenceIndex
{
    /// <summary>
    /// The reference index key, once its table exists: on a database whose schema was not applied at start-up Marten
    /// makes each table on first use, and the key is read and stored by hand. Checked once a process.
    /// </summary>
    public static byte[] Key(IDocumentStore store, Infrastructure.Privacy.CaseKeyRing keys)
    {
        if (!keys.HasReferenceIndexKey) store.Storage.Database.EnsureStorageExists(typeof(Infrastructure.Privacy.CaseKey));
        return keys.ReferenceIndexKey();
    }

    /// <summary>The list row's member (and JSON name) holding the values.</summary>
    public const string Member = "referenceIndex";

    /// <summary>How references are compared: the same handle typed with other capitals or spaces around it is the same.</summary>
    public static string Normalise(string reference) => reference.Normalize(NormalizationForm.FormKC).Trim().ToLowerInvariant();

    /// <summary>The index value of one reference.</summary>
    public static string Of(string reference, byte[] key) => Mac(Normalise(reference), key);

    private static string Mac(string normalised, byte[] key)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(normalised));
        return Convert.ToBase64String(mac, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// The values of a case: its service user's reference, the case's source reference and every disclosure's (the
    /// channels the case was heard on). Not other persons' references: those describe people, not a channel's user.
    /// </summary>
    public static List<string> Of(CaseState state, byte[] key)
    {
        var references = new List<string> { state.SourceReference };
        if (state.FindPerson(CaseState.ServiceUserId) is { } serviceUser) references.Add(serviceUser.Reference);
        references.AddRange(state.Disclosures.Select(d => d.SourceReference));
        // Most disclosures come through the channel the case did: each distinct reference is normalised and keyed once.
        return [.. references.Distinct(StringComparer.Ordinal).Where(r => !PersonalAttribute.IsDestroyed(r)).Select(Normalise)
            .Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).Select(r => Mac(r, key))];
    }
}
