using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Npgsql;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// Tamper evidence: each event's hash is SHA-256 over the previous event's hash, the stream id, the version, the event
/// type, the event's canonical JSON, the actor and the timestamp. Canonical JSON has object keys in ordinal order,
/// no white space and one escaping, so the JSON we serialise at append time and the jsonb PostgreSQL gives back hash
/// the same; any change to a stored event changes its hash and breaks the chain from there.
/// </summary>
public static class EventHashChain
{
    /// <summary>The "previous hash" of a stream's first event.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>
    /// The event header (Marten's <c>headers</c> column of <c>mt_events</c>) that holds each event's hash, in the same
    /// row as the event, so the hash and the event it covers are always written and read together.
    /// </summary>
    public const string Header = "hash";

    /// <summary>The hash header of an event, whether set in memory (a string) or read back from jsonb.</summary>
    public static string? HeaderOf(JasperFx.Events.IEvent e) => e.GetHeader(Header)?.ToString();

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static string Hash(string previousHash, Guid streamId, long version, string eventType, string eventJson)
    {
        // The same bytes as string.Join('\n', previous, stream, version, type, canonical JSON, actor, timestamp) in UTF-8,
        // fed to SHA-256 piece by piece: no DOM, no joined string (this runs for every event written and verified).
        using var document = JsonDocument.Parse(eventJson);
        var root = document.RootElement;
        var buffer = Buffer ??= new System.Buffers.ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Write(writer, root);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> digits = stackalloc byte[40];
        AppendText(sha, previousHash);
        sha.AppendData("\n"u8);
        if (!streamId.TryFormat(digits, out var written, "D")) throw new InvalidOperationException("A stream id did not format.");
        sha.AppendData(digits[..written]);
        sha.AppendData("\n"u8);
        if (!version.TryFormat(digits, out written, default, CultureInfo.InvariantCulture)) throw new InvalidOperationException("A version did not format.");
        sha.AppendData(digits[..written]);
        sha.AppendData("\n"u8);
        AppendText(sha, eventType);
        sha.AppendData("\n"u8);
        sha.AppendData(buffer.WrittenSpan);
        sha.AppendData("\n"u8);
        AppendText(sha, StringAt(root, "by", "subject"));
        sha.AppendData("\n"u8);
        AppendText(sha, StringAt(root, "at", null));
        Span<byte> hash = stackalloc byte[32];
        sha.GetHashAndReset(hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>A reusable buffer for the canonical JSON, one per thread.</summary>
    [ThreadStatic] private static System.Buffers.ArrayBufferWriter<byte>? Buffer;

    private static void AppendText(IncrementalHash sha, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        var count = Encoding.UTF8.GetBytes(text, bytes);
        sha.AppendData(bytes, 0, count);
        System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
    }

    /// <summary><c>data.first.second</c> (or <c>data.first</c>) when it is a string; empty otherwise (as the chain always hashed it).</summary>
    private static string? StringAt(JsonElement root, string first, string? second)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(first, out var value)) return null;
        if (second is not null && (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(second, out value))) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    /// <summary>
    /// The one chain walk: each event's hash from the one before it, starting again at <see cref="Genesis"/> for each
    /// new case. Used when appending (from the case's chain head) and when checking what is stored (integrity, the
    /// ledger's verification), so the chain is computed one way everywhere.
    /// </summary>
    public sealed class Walk(string? head = null)
    {
        private Guid? stream;

        /// <summary>The hash of the last event walked (the chain head).</summary>
        public string Head { get; private set; } = head ?? Genesis;

        /// <summary>The next event's hash; an event of another case than the last starts that case's chain.</summary>
        public string Next(Guid caseId, long version, string eventType, string eventJson)
        {
            if (stream is { } current && current != caseId) Head = Genesis;
            stream = caseId;
            return Head = Hash(Head, caseId, version, eventType, eventJson);
        }
    }

    /// <summary>One stored event with the hash its chain gives it and the hash stored in its row.</summary>
    public sealed record StoredLink(long Sequence, Guid CaseId, long Version, string Recomputed, string? Stored)
    {
        public bool Holds => string.Equals(Recomputed, Stored, StringComparison.Ordinal);
    }

    /// <summary>
    /// Recomputes the chain of the stored events <paramref name="where"/> selects (ordered by case and version), from
    /// the data as PostgreSQL holds it (never deserialised: that could hide an added field), beside each row's stored hash.
    /// </summary>
    public static async IAsyncEnumerable<StoredLink> WalkStoredAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction,
        string where, IReadOnlyList<object> parameters, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select seq_id, stream_id, version, mt_dotnet_type, data::text, headers->>'{Header}' from {MartenSetup.EventsTable} " +
            $"where {where} order by stream_id, version", connection, transaction);
        foreach (var parameter in parameters) command.Parameters.AddWithValue(parameter);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var walk = new Walk();
        while (await reader.ReadAsync(ct))
        {
            var caseId = reader.GetGuid(1);
            var version = reader.GetInt64(2);
            var recomputed = walk.Next(caseId, version, TypeName(reader.GetString(3)), reader.GetString(4));
            yield return new StoredLink(reader.GetInt64(0), caseId, version, recomputed, reader.IsDBNull(5) ? null : reader.GetString(5));
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> TypeNames = new(StringComparer.Ordinal);

    /// <summary>
    /// The event type as hashed and shown: the CLR type's name, from mt_dotnet_type when reading back
    /// ("SafeguardingCases.Domain.Cases.NoteAdded, SafeguardingCases.Domain" is "NoteAdded"). Cached: there are few types.
    /// </summary>
    public static string TypeName(string dotnetTypeName) => TypeNames.GetOrAdd(dotnetTypeName, static full =>
    {
        var comma = full.IndexOf(',', StringComparison.Ordinal);
        var name = comma < 0 ? full : full[..comma];
        return name[(name.LastIndexOf('.') + 1)..];
    });

    /// <summary>
    /// Canonical JSON: object keys in ordinal order, no white space, strings escaped one way, numbers as decimals. Any
    /// JSON PostgreSQL's jsonb gives back for what was serialised writes the same bytes.
    /// </summary>
    private static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                var count = 0;
                foreach (var _ in element.EnumerateObject()) count++;
                var properties = System.Buffers.ArrayPool<JsonProperty>.Shared.Rent(count);
                try
                {
                    var i = 0;
                    foreach (var property in element.EnumerateObject()) properties[i++] = property;
                    Array.Sort(properties, 0, count, PropertyOrder.Instance);
                    for (i = 0; i < count; i++)
                    {
                        writer.WritePropertyName(properties[i].Name);
                        Write(writer, properties[i].Value);
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<JsonProperty>.Shared.Return(properties, clearArray: true);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) Write(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String: writer.WriteStringValue(element.GetString()); break;
            case JsonValueKind.Number: writer.WriteNumberValue(decimal.Parse(element.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)); break;
            case JsonValueKind.True: writer.WriteBooleanValue(true); break;
            case JsonValueKind.False: writer.WriteBooleanValue(false); break;
            default: writer.WriteNullValue(); break;
        }
    }

    /// <summary>Keys in ordinal order, as <c>OrderBy(p =&gt; p.Key, StringComparer.Ordinal)</c> sorted them.</summary>
    private sealed class PropertyOrder : IComparer<JsonProperty>
    {
        public static readonly PropertyOrder Instance = new();

        public int Compare(JsonProperty x, JsonProperty y) => string.CompareOrdinal(x.Name, y.Name);
    }
}
