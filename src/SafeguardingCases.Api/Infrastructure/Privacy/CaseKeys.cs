using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Privacy;

/// <summary>
/// Personal data was about to be sealed for a case that has no data key: it was destroyed (by another instance, after
/// this one last saw the case). The write path decides again on the case as stored, which refuses.
/// </summary>
public sealed class CaseKeyGoneException() : InvalidOperationException("The case has no data key.");

/// <summary>A case's data key, stored wrapped (AES-256-GCM) by the key-encryption key; written with the case's first events.</summary>
public sealed class CaseKey
{
    public Guid Id { get; set; }

    /// <summary>base64 of nonce (12) | wrapped key (32) | tag (16).</summary>
    public string Wrapped { get; set; } = "";
}

/// <summary>
/// PRIVACY-AT-REST: the case data keys. The key-encryption key is 32 bytes (base64) in the file at
/// <c>Privacy__KeyPath</c>; in Development, the tests and the benchmarks a throwaway one in the machine's temp folder,
/// made on first use and shared by every process on the machine; anywhere else a missing key stops start-up. Unwrapped data keys are
/// kept in memory while they are used: at most <see cref="KeysHeld"/> of them (26 MB), each for
/// <see cref="KeyIdle"/> after its last use, so neither memory nor the set of keys a memory dump would give grows with
/// the cases an instance has ever read; a key not in memory is read from PostgreSQL on first use.
/// </summary>
public sealed class CaseKeyRing : IDisposable
{
    public const string ThrowawayFileName = "safeguarding-cases-throwaway-privacy.key";
    private readonly byte[] kek;
    private readonly byte[]? previousKek;
    private readonly NpgsqlDataSource db;
    private readonly MemoryCache keys;

    /// <summary>How many unwrapped data keys an instance keeps at most (a case's commands and reads use one key).</summary>
    public const int KeysHeld = 100_000;

    /// <summary>How long a key unused is kept: a case being worked on keeps its key; one read once, a while ago, does not.</summary>
    public static readonly TimeSpan KeyIdle = TimeSpan.FromMinutes(30);

    private static readonly MemoryCacheEntryOptions HoldFor = new() { Size = 1, SlidingExpiration = KeyIdle };

    /// <param name="previousKeyEncryptionKey">
    /// While the key-encryption key is rotated (<c>Privacy__PreviousKeyPath</c>): the key before it, which still opens the
    /// data keys <c>rewrap-keys</c> has not re-wrapped yet. New data keys are always wrapped by the current one.
    /// </param>
    /// <param name="keysHeld">At most this many keys in memory (<see cref="KeysHeld"/>; the tests make it small).</param>
    public CaseKeyRing(byte[] keyEncryptionKey, NpgsqlDataSource db, byte[]? previousKeyEncryptionKey = null, int keysHeld = KeysHeld)
    {
        kek = keyEncryptionKey;
        previousKek = previousKeyEncryptionKey;
        this.db = db;
        keys = new MemoryCache(new MemoryCacheOptions { SizeLimit = keysHeld });
    }

    /// <summary>How many data keys this instance holds in memory now (with the destroyed ones it remembers as such).</summary>
    public int Held => keys.Count;

    private long blockingReads;

    /// <summary>
    /// How many keys <see cref="Find"/> has read from PostgreSQL on the caller's thread (one round trip each, blocking):
    /// the readers that know their cases <see cref="PrepareAsync(IReadOnlyCollection{Guid}, CancellationToken)"/> them in one awaited query instead, so this grows
    /// only with cases no reader prepared.
    /// </summary>
    public long BlockingReads => Interlocked.Read(ref blockingReads);

    public void Dispose() => keys.Dispose();

    /// <summary>Reads <c>Privacy__PreviousKeyPath</c> when set (during a rotation of the key-encryption key).</summary>
    public static byte[]? LoadPreviousKeyEncryptionKey(IConfiguration configuration) =>
        configuration["Privacy:PreviousKeyPath"] is { Length: > 0 } path ? ReadKeyFile(path, "Privacy__PreviousKeyPath") : null;

    /// <summary>A 32-byte key, base64, from a file; or start-up refused in one line naming the setting.</summary>
    public static byte[] ReadKeyFile(string path, string setting)
    {
        try
        {
            var key = Convert.FromBase64String(File.ReadAllText(path).Trim());
            return key.Length == 32 ? key : throw new StartupRefusedException($"{setting} must hold 32 bytes, base64.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new StartupRefusedException($"{setting} '{path}' could not be read as a 32-byte key (base64).");
        }
    }

    /// <summary>A data key wrapped by a key-encryption key: base64 of nonce | wrapped key | tag.</summary>
    public static string Wrap(byte[] keyEncryptionKey, byte[] dataKey) =>
        Convert.ToBase64String(Seal(keyEncryptionKey, dataKey, RandomNumberGenerator.GetBytes(12)));

    /// <summary>The data key inside <paramref name="wrapped"/>, or null when this key-encryption key did not wrap it.</summary>
    public static byte[]? Unwrap(byte[] keyEncryptionKey, string wrapped)
    {
        try
        {
            return Open(keyEncryptionKey, Convert.FromBase64String(wrapped));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    /// <summary>Reads the key-encryption key, or refuses start-up in one line.</summary>
    public static byte[] LoadKeyEncryptionKey(IConfiguration configuration, IHostEnvironment environment)
    {
        var path = configuration["Privacy:KeyPath"];
        if (string.IsNullOrWhiteSpace(path))
        {
            if (!environment.IsDevelopment() && !environment.IsEnvironment("Testing") && !environment.IsEnvironment("Benchmark"))
                throw new StartupRefusedException("Privacy__KeyPath is not set: personal data is stored encrypted under a key-encryption key (32 random bytes, base64, in that file).");
            path = Path.Combine(Path.GetTempPath(), ThrowawayFileName);
            if (!File.Exists(path))
            {
                try
                {
                    using var created = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                    created.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
                }
                catch (IOException) when (File.Exists(path))
                {
                    // Another process made it first.
                }
            }
        }
        return ReadKeyFile(path, "Privacy__KeyPath");
    }

    /// <summary>
    /// A new data key for a new case, and its wrapped form to store with the case's first events. Not kept: it seals
    /// only inside the <see cref="CaseKeyScope"/> of the attempt that made it, until <see cref="Confirm"/>.
    /// </summary>
    public (byte[] Key, CaseKey Stored) Create(Guid caseId)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        return (key, new CaseKey { Id = caseId, Wrapped = Wrap(kek, key) });
    }

    /// <summary>The new case's first commit landed with this key: it opens what it sealed from now on.</summary>
    public void Confirm(Guid caseId, byte[] key) => keys.Set(caseId, new KnownKey(key, Environment.TickCount64), HoldFor);

    /// <summary>
    /// The case's data key, or null when it has none (never made, or destroyed). A key kept in memory is checked against
    /// PostgreSQL again once it is <see cref="Recheck"/> old, so a key another instance destroyed stops opening
    /// anything here within that time (a read that sees the case destroyed forgets it at once).
    /// </summary>
    public byte[]? Find(Guid caseId)
    {
        var now = Environment.TickCount64;
        if (keys.TryGetValue(caseId, out KnownKey? known) && known!.Fresh(now)) return known.Key;
        Interlocked.Increment(ref blockingReads);
        using var command = db.CreateCommand($"select data ->> 'wrapped' from {Table} where id = $1");
        command.Parameters.AddWithValue(caseId);
        object? found;
        try
        {
            found = command.ExecuteScalar();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No case has a key yet on a new database.
            return null;
        }
        return Keep(caseId, found as string, known, now);
    }

    /// <summary>
    /// Reads now, in one query and without holding a thread, the keys of these cases that this process does not hold
    /// or has held past <see cref="Recheck"/>: what the write path and the batch readers call before Marten serializes
    /// or reads the cases, so that <see cref="Find"/> (synchronous, since a System.Text.Json converter cannot await)
    /// finds each key fresh instead of asking PostgreSQL case by case from inside the serializer.
    /// </summary>
    /// <returns>The cases among them that have no key (destroyed, or never made): nothing of theirs opens.</returns>
    public Task<IReadOnlySet<Guid>> PrepareAsync(IReadOnlyCollection<Guid> caseIds, CancellationToken ct) => PrepareAsync(caseIds, recheckHeld: false, ct);

    /// <param name="recheckHeld">
    /// DESTRUCTION-TWO-LEADS, for a read that opens sealed values without loading their cases (the auditors' lists): the
    /// keys held fresh are asked about too, so one another instance destroyed since is forgotten now and opens nothing.
    /// </param>
    public async Task<IReadOnlySet<Guid>> PrepareAsync(IReadOnlyCollection<Guid> caseIds, bool recheckHeld, CancellationToken ct)
    {
        var now = Environment.TickCount64;
        var (due, destroyed) = (new List<Guid>(), new HashSet<Guid>());
        foreach (var id in caseIds.Distinct())
        {
            if (!keys.TryGetValue(id, out KnownKey? held)) due.Add(id);
            else if (held!.Destroyed) destroyed.Add(id);
            else if (recheckHeld || !held.Fresh(now)) due.Add(id);
        }
        if (due.Count == 0) return destroyed.Count == 0 ? NoneMissing : destroyed;
        await using var command = db.CreateCommand($"select id, data ->> 'wrapped' from {Table} where id = any($1)");
        command.Parameters.AddWithValue(due);
        var wrapped = new Dictionary<Guid, string>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) wrapped[reader.GetGuid(0)] = reader.GetString(1);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No case has a key yet on a new database.
            return due.ToHashSet();
        }
        var missing = destroyed;
        foreach (var id in due)
        {
            keys.TryGetValue(id, out KnownKey? known);
            if (Keep(id, wrapped.GetValueOrDefault(id), known, now) is null) missing.Add(id);
        }
        return missing;
    }

    private static readonly IReadOnlySet<Guid> NoneMissing = new HashSet<Guid>();

    /// <summary>What PostgreSQL said of a case's key (its wrapped form, or null: none) kept in memory, or forgotten.</summary>
    private byte[]? Keep(Guid caseId, string? wrapped, KnownKey? known, long now)
    {
        if (wrapped is null)
        {
            keys.Remove(caseId);
            return null;
        }
        // The same key as before keeps its bytes (what was sealed under it is remembered by them).
        var key = known?.Key ?? Unwrap(kek, wrapped) ?? (previousKek is null ? null : Unwrap(previousKek, wrapped))
            ?? throw new CryptographicException("A case's data key is wrapped by neither Privacy__KeyPath nor Privacy__PreviousKeyPath.");
        keys.Set(caseId, new KnownKey(key, now), HoldFor);
        return key;
    }

    /// <summary>How long a key kept in memory is trusted before PostgreSQL is asked again whether it still exists (ms).</summary>
    public const long Recheck = 60_000;

    /// <summary>A case's key as last read (or made), or with a null key: destroyed, which is for good.</summary>
    private sealed record KnownKey(byte[]? Key, long CheckedAt)
    {
        public bool Destroyed => Key is null;

        /// <summary>Trusted without asking PostgreSQL: read within <see cref="Recheck"/>, or destroyed (no key ever comes back).</summary>
        public bool Fresh(long now) => Destroyed || now - CheckedAt < Recheck;
    }

    /// <summary>This process keeps no copy of the case's key (as after a restart): it is read again when next needed.</summary>
    public void Forget(Guid caseId) => keys.Remove(caseId);

    /// <summary>
    /// DESTRUCTION-TWO-LEADS: the case's key was destroyed (its destruction committed, or the case was read destroyed).
    /// This process keeps no copy, and remembers that there is none, so reading the case's sealed values (its history,
    /// an as-of view, an export) reads each as destroyed without asking PostgreSQL for the key value by value. Only
    /// for a destruction seen: a case found keyless otherwise may be one being opened, whose key is still to land.
    /// </summary>
    public void Destroyed(Guid caseId) => keys.Set(caseId, new KnownKey(null, Environment.TickCount64), HoldFor);

    public const string Table = "public.mt_doc_casekey";

    /// <summary>
    /// Where the reference index's key is kept: in the data keys' table under an id no case has, wrapped by the
    /// key-encryption key like a case's, so rotating that key (<c>rewrap-keys</c>) re-wraps it with the others and leaves
    /// every stored index value as it was. It is no case's key: destroying a case never touches it.
    /// </summary>
    public static readonly Guid ReferenceIndexKeyId = new("5afe9a2d-0000-4000-8000-00000000f1d0");

    private byte[]? referenceIndexKey;
    private readonly Lock referenceIndexKeyLock = new();

    /// <summary>Whether this process has read the reference index key (until then its table may not exist yet).</summary>
    public bool HasReferenceIndexKey => referenceIndexKey is not null;

    /// <summary>
    /// The key of the reference index (<c>Features/Cases/Search</c>): made by the first instance that needs it, stored
    /// wrapped, read once a process. Two instances making it at once keep whichever was stored first.
    /// </summary>
    public byte[] ReferenceIndexKey()
    {
        if (referenceIndexKey is { } known) return known;
        lock (referenceIndexKeyLock)
        {
            if (referenceIndexKey is { } made) return made;
            using (var insert = db.CreateCommand(
                $"insert into {Table} (id, data, mt_version, mt_dotnet_type, mt_last_modified) " +
                "values ($1, jsonb_build_object('id', $1, 'wrapped', $2::text), gen_random_uuid(), $3, transaction_timestamp()) on conflict (id) do nothing"))
            {
                insert.Parameters.AddWithValue(ReferenceIndexKeyId);
                insert.Parameters.AddWithValue(Wrap(kek, RandomNumberGenerator.GetBytes(32)));
                insert.Parameters.AddWithValue(typeof(CaseKey).FullName!);
                insert.ExecuteNonQuery();
            }
            using var read = db.CreateCommand($"select data ->> 'wrapped' from {Table} where id = $1");
            read.Parameters.AddWithValue(ReferenceIndexKeyId);
            var wrapped = read.ExecuteScalar() as string ?? throw new InvalidOperationException("The reference index key was not stored.");
            return referenceIndexKey = Unwrap(kek, wrapped) ?? (previousKek is null ? null : Unwrap(previousKek, wrapped))
                ?? throw new CryptographicException("The reference index key is wrapped by neither Privacy__KeyPath nor Privacy__PreviousKeyPath.");
        }
    }

    /// <summary>The key that seals for the case now: the one the current attempt made for a new case, else the stored one.</summary>
    public byte[] KeyFor(Guid caseId) =>
        (CaseKeyScope.Case == caseId ? CaseKeyScope.NewKey : null) ?? Find(caseId) ?? throw new CaseKeyGoneException();

    /// <summary>
    /// A personal value sealed under the case's key: <c>enc:v1:{case id}:{base64(nonce|ciphertext|tag)}</c>. The nonce
    /// is derived from the key and the value (a synthetic IV), so the same value under the same key seals the same way:
    /// Marten serialising an event again gives the bytes the hash chain was computed over. It shows only that two
    /// values of one case are equal.
    /// </summary>
    public string Seal(Guid caseId, string plain, byte[] key)
    {
        var bytes = Encoding.UTF8.GetBytes(plain);
        var nonce = HMACSHA256.HashData(key, bytes)[..12];
        return $"{SealedPrefixOf(caseId)}{Convert.ToBase64String(Seal(key, bytes, nonce))}";
    }

    /// <summary>How every value sealed under the case's key begins: <c>enc:v1:{case id}:</c>.</summary>
    public static string SealedPrefixOf(Guid caseId) => $"{Prefix}{caseId:N}:";

    /// <summary>The value a sealed string holds; null when the case's key is gone.</summary>
    public string? Unseal(string sealedValue)
    {
        // Text that only looks sealed (recorded before encryption, or by hand) is what it says.
        if (CaseOf(sealedValue) is not { } caseId) return sealedValue;
        return Find(caseId) is { } key ? Encoding.UTF8.GetString(Open(key, Convert.FromBase64String(sealedValue[(Prefix.Length + 33)..]))) : null;
    }

    /// <summary>
    /// As <see cref="Unseal(string)"/>, with the keys just prepared: null at once for a case among <paramref name="missing"/>
    /// (what <see cref="PrepareAsync(IReadOnlyCollection{Guid}, CancellationToken)"/> found keyless), not asked of PostgreSQL again.
    /// </summary>
    public string? Unseal(string sealedValue, IReadOnlySet<Guid> missing) =>
        CaseOf(sealedValue) is { } caseId && missing.Contains(caseId) ? null : Unseal(sealedValue);

    /// <summary>The case whose key sealed a value (<c>enc:v1:{case id}:...</c>); null for text that is not sealed.</summary>
    public static Guid? CaseOf(string value)
    {
        if (!IsSealed(value)) return null;
        var rest = value.AsSpan(Prefix.Length);
        return rest.Length >= 34 && rest[32] == ':' && Guid.TryParseExact(rest[..32], "N", out var caseId) ? caseId : null;
    }

    public const string Prefix = "enc:v1:";

    /// <summary>
    /// Rows read by SQL with their personal texts left sealed (<see cref="PersonalDataJson.DeferOpening"/>), then their
    /// cases' keys prepared in one awaited query: the caller opens each row's texts with <see cref="OpenText"/> and the
    /// returned <c>Missing</c> (cases whose keys are gone). Only for rows that are read, never written back.
    /// </summary>
    public async Task<(IReadOnlyList<T> Rows, IReadOnlySet<Guid> Missing)> QuerySealedAsync<T>(Marten.IQuerySession session, string sql,
        object[] parameters, Func<T, Guid> caseOf, bool recheckHeld, CancellationToken ct)
    {
        IReadOnlyList<T> rows;
        using (PersonalDataJson.DeferOpening()) rows = await session.QueryAsync<T>(sql, ct, parameters);
        return (rows, await PrepareAsync([.. rows.Select(caseOf)], recheckHeld, ct));
    }

    /// <summary>
    /// A text read with its opening deferred (<see cref="PersonalDataJson.DeferOpening"/>) as the serializer would have
    /// read it: opened, or <see cref="PersonalAttribute.Destroyed"/> when the case's key is gone (<see cref="Unseal(string, IReadOnlySet{Guid})"/>).
    /// </summary>
    public string OpenText(string value, IReadOnlySet<Guid> missing)
    {
        if (!IsSealed(value)) return value;
        var plain = Unseal(value, missing);
        if (plain is null) return PersonalAttribute.Destroyed;
        return ReferenceEquals(plain, value) ? value : JsonSerializer.Deserialize<string>(plain) ?? "";
    }

    public static bool IsSealed(string? value) => value is not null && value.StartsWith(Prefix, StringComparison.Ordinal);

    private static byte[] Seal(byte[] key, byte[] plain, byte[] nonce)
    {
        var output = new byte[12 + plain.Length + 16];
        nonce.CopyTo(output, 0);
        using var gcm = new AesGcm(key, 16);
        gcm.Encrypt(nonce, plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length));
        return output;
    }

    private static byte[] Open(byte[] key, byte[] sealedBytes)
    {
        var plain = new byte[sealedBytes.Length - 28];
        using var gcm = new AesGcm(key, 16);
        gcm.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), plain);
        return plain;
    }
}

/// <summary>
/// Opens the sealed values in stored JSON (the history streams events as stored), for a reader allowed to read the case;
/// a value whose key was destroyed reads <c>{ "destroyed": true }</c>.
/// </summary>
public static class SealedJson
{
    public static string Open(string json, CaseKeyRing ring)
    {
        if (!json.Contains(CaseKeyRing.Prefix, StringComparison.Ordinal)) return json;
        var node = System.Text.Json.Nodes.JsonNode.Parse(json);
        return Replaced(node, ring) ?? node?.ToJsonString() ?? "null";
    }

    /// <summary>Opens the sealed values inside <paramref name="node"/> in place; for a sealed value itself, its opened JSON.</summary>
    private static string? Replaced(System.Text.Json.Nodes.JsonNode? node, CaseKeyRing ring)
    {
        switch (node)
        {
            case System.Text.Json.Nodes.JsonObject o:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    if (Replaced(o[key], ring) is { } opened) o[key] = System.Text.Json.Nodes.JsonNode.Parse(opened);
                }
                return null;
            case System.Text.Json.Nodes.JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    if (Replaced(a[i], ring) is { } opened) a[i] = System.Text.Json.Nodes.JsonNode.Parse(opened);
                }
                return null;
            case System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var text) && CaseKeyRing.IsSealed(text):
                return ring.Unseal(text) is { } plain ? (ReferenceEquals(plain, text) ? null : plain) : Json.StorableStringConverter.DestroyedJson;
            default:
                return null;
        }
    }
}

/// <summary>
/// The case whose key seals what is being written now (set by the write path around its serialisation), and for a new
/// case the key its attempt made (not yet stored, so known only here).
/// </summary>
public static class CaseKeyScope
{
    private static readonly AsyncLocal<(Guid Case, byte[]? NewKey)?> Current = new();

    public static Guid? Case => Current.Value?.Case;

    public static byte[]? NewKey => Current.Value?.NewKey;

    public static IDisposable Enter(Guid caseId, byte[]? newKey = null)
    {
        var before = Current.Value;
        Current.Value = (caseId, newKey);
        return new Exit(before);
    }

    private sealed class Exit((Guid, byte[]?)? before) : IDisposable
    {
        public void Dispose() => Current.Value = before;
    }
}

/// <summary>
/// Seals every <see cref="PersonalAttribute"/> property as Marten writes it, and opens it as Marten reads it, so
/// everything above storage sees plain values and PostgreSQL holds only ciphertext. Writing one outside a
/// <see cref="CaseKeyScope"/> throws: a path that forgot its case can never store personal data in the clear.
/// </summary>
public static class PersonalDataJson
{
    public static Action<JsonTypeInfo> Modifier(CaseKeyRing ring) => info =>
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        foreach (var property in info.Properties)
        {
            if (property.AttributeProvider?.IsDefined(typeof(PersonalAttribute), true) != true) continue;
            property.CustomConverter = (JsonConverter)Activator.CreateInstance(typeof(Sealed<>).MakeGenericType(property.PropertyType), ring)!;
        }
    };

    /// <summary>
    /// What each string was sealed to, by the string itself (not its value): a case remembered in memory writes the same
    /// references, summaries and descriptions with every command, and sealing them again would give the same bytes.
    /// Entries go when their strings do.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<string, SealedText> Sealings = new();

    /// <summary>What a string was sealed to, under which key (by reference: an attempt's new key is a key of its own).</summary>
    private sealed record SealedText(byte[] Key, string Text);

    private static readonly AsyncLocal<bool> Deferring = new();

    /// <summary>
    /// Until disposed, sealed text read into a string property stays as stored, for a reader that learns its cases
    /// from the rows themselves (a list): it prepares their keys in one query (<see cref="CaseKeyRing.PrepareAsync(IReadOnlyCollection{Guid}, CancellationToken)"/>),
    /// then opens each value (<see cref="CaseKeyRing.OpenText"/>), where the serializer would have read each key from
    /// PostgreSQL one by one, blocking. Only for documents that are read, never written back.
    /// </summary>
    public static IDisposable DeferOpening()
    {
        Deferring.Value = true;
        return new EndDeferring();
    }

    private sealed class EndDeferring : IDisposable
    {
        public void Dispose() => Deferring.Value = false;
    }

    private sealed class Sealed<T>(CaseKeyRing ring) : JsonConverter<T>
    {
        public override bool HandleNull => false;

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
        {
            // Nothing to hide in an empty or destroyed value. Everything else is sealed, even text that looks sealed:
            // what is written here is always a value as read (Read opens sealed ones), so text in the sealed shape came
            // from a client, and stored as it is it would be in the clear and could break every read of the case.
            if (value is string text && (text.Length == 0 || PersonalAttribute.IsDestroyed(text)))
            {
                writer.WriteStringValue(text);
                return;
            }
            var caseId = CaseKeyScope.Case ?? throw new InvalidOperationException("Personal data written outside a case's key scope.");
            var key = ring.KeyFor(caseId);
            if (value is string known && Sealings.TryGetValue(known, out var hit) && ReferenceEquals(hit.Key, key))
            {
                writer.WriteStringValue(hit.Text);
                return;
            }
            // The value's own JSON is sealed, so anything that opens it (the history) knows its shape without its type.
            var sealedText = ring.Seal(caseId, JsonSerializer.Serialize(value, options), key);
            if (value is string original) Sealings.AddOrUpdate(original, new SealedText(key, sealedText));
            writer.WriteStringValue(sealedText);
        }

        public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String && reader.GetString() is { } text && CaseKeyRing.IsSealed(text))
            {
                if (Deferring.Value && typeof(T) == typeof(string)) return (T)(object)text;
                var plain = ring.Unseal(text);
                // DESTRUCTION-TWO-LEADS: a text whose key is destroyed reads as destroyed; a date of birth as unknown.
                if (plain is null) return typeof(T) == typeof(string) ? (T)(object)PersonalAttribute.Destroyed : default;
                if (ReferenceEquals(plain, text)) return typeof(T) == typeof(string) ? (T)(object)text : default;
                return JsonSerializer.Deserialize<T>(plain, options);
            }
            // Written before encryption (or by hand): read as it is.
            return JsonSerializer.Deserialize<T>(ref reader, options);
        }
    }
}
