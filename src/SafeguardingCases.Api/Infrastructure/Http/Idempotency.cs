using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Json;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>The <c>Idempotency</c> configuration section.</summary>
public sealed class IdempotencyKeyOptions
{
    public const string SectionName = "Idempotency";
    public const string HeaderName = "Idempotency-Key";
    public const int MaxKeyLength = 200;

    /// <summary>How long a key is remembered (<c>Idempotency__Expiry</c>, ISO-8601, default <c>PT24H</c>).</summary>
    public Duration Expiry { get; set; } = Duration.FromHours(24);
}

/// <summary>The remembered answer of a command that appended events, committed in the same transaction as its events.</summary>
public sealed class IdempotencyRecord
{
    public string Id { get; set; } = "";
    public string RequestHash { get; set; } = "";
    public int StatusCode { get; set; }
    /// <summary>The answer's JSON, which may quote what was recorded: stored encrypted under the case's key.</summary>
    [Domain.Cases.Personal] public string Body { get; set; } = "";
    /// <summary>
    /// The answer of a destruction (DESTRUCTION-TWO-LEADS), which quotes nothing recorded and outlives the case's key
    /// it would be sealed under: kept in the clear, in place of <see cref="Body"/>.
    /// </summary>
    public string? ClearBody { get; set; }
    public string? Location { get; set; }
    public string? ETag { get; set; }
    public long CreatedAtUnixMs { get; set; }
    public long ExpiresAtUnixMs { get; set; }
}

/// <summary>
/// A request's Idempotency-Key, as a value: the record it is remembered under (<see cref="IdempotencyMiddleware.RecordId"/>)
/// and the hash of the request that came with it. Made once at the edge and set on the request's features.
/// </summary>
public sealed record IdempotencyKey(string RecordId, string RequestHash)
{
    public static IdempotencyKey? Of(HttpContext http) => http.Features.Get<IdempotencyKey>();

    /// <summary>
    /// A new case's id. With a key it is derived from the caller and the key, so a retried open of the same case
    /// collides with the first one instead of opening a second case.
    /// </summary>
    public static Guid NewCaseId(IdempotencyKey? key) =>
        key is null ? Guid.CreateVersion7() : Domain.DeterministicGuid.Of("open-case\n" + key.RecordId);
}

/// <summary>
/// What a command remembers for its key if it succeeds, made at the edge: the key, the status a success answers and,
/// for something new, where it lives. The command carries it; the runner stages <see cref="AnswerFor"/> with the
/// command's events, so the effect and its answer land together or not at all.
/// </summary>
public sealed record Remembering(IdempotencyKey Key, int Status, string? Location = null)
{
    private static readonly JsonSerializerOptions Json = JsonSetup.Create();

    /// <summary>What a key's request answers, for a command that succeeds: null when the request carries no key.</summary>
    public static Remembering? For(HttpContext http, int status, string? location = null) =>
        IdempotencyKey.Of(http) is { } key ? new Remembering(key, status, location) : null;

    /// <summary>The record to commit with the command's events: its answer, as the edge would write it.</summary>
    public IdempotencyRecord AnswerFor(object value, long version, Instant now, Duration expiry) => new()
    {
        Id = Key.RecordId,
        RequestHash = Key.RequestHash,
        StatusCode = Status,
        Body = JsonSerializer.Serialize(value, value.GetType(), Json),
        Location = Location,
        ETag = CaseVersion.ToETag(version),
        CreatedAtUnixMs = now.ToUnixTimeMilliseconds(),
        ExpiresAtUnixMs = (now + expiry).ToUnixTimeMilliseconds(),
    };

    /// <summary>
    /// After a lost race or a refusal: the answer of a request with this key that committed first, if it has not expired;
    /// Expired when the key's record is past its expiry (this request's answer replaces it).
    /// </summary>
    public async Task<(IdempotencyRecord? Earlier, bool Expired)> FindEarlierAsync(IDocumentStore store, Instant now, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<IdempotencyRecord>(Key.RecordId, ct);
        if (record is null) return (null, false);
        return record.ExpiresAtUnixMs <= now.ToUnixTimeMilliseconds() ? (null, true) : (record, false);
    }

    /// <summary>Writes a remembered answer: the first response again, or 422 when the key came with another request.</summary>
    public static async Task ReplayAsync(HttpContext http, IdempotencyRecord record, string requestHash)
    {
        if (record.RequestHash != requestHash)
        {
            await Problems.WriteAsync(http, Problems.Create(422, "Idempotency-Key reused",
                "This Idempotency-Key was used with a different request; use a new key for a new request.",
                type: "idempotency-key-reused"));
            return;
        }

        http.Response.StatusCode = record.StatusCode;
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (record.Location is not null) http.Response.Headers.Location = record.Location;
        if (record.ETag is not null) http.Response.Headers.ETag = record.ETag;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(record.ClearBody ?? record.Body, http.RequestAborted);
    }
}

/// <summary>
/// <c>Idempotency-Key</c> on commands (POST and PUT): checks the key and hashes the request, then lets it run. The
/// command runner stores the answer in the same transaction as the command's events, with the key as the record's
/// primary key, so a second commit under one key cannot happen: a repeated request decides again, fails to commit
/// (or is refused by the state the first one left), finds the first answer and gives it (with another request,
/// 422). Only effects are remembered, so a refusal, a validation error or a failure stores nothing and a retry runs
/// again. A fresh request pays nothing for this: no read before it runs. Keys are per caller (<c>sub</c>) and live
/// in PostgreSQL, so they hold across restarts and instances.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!(HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPut(http.Request.Method)) || http.GetEndpoint() is null
            || !http.Request.Headers.TryGetValue(IdempotencyKeyOptions.HeaderName, out var keys))
        {
            await next(http);
            return;
        }

        var key = keys.ToString();
        if (keys.Count > 1 || !IsValidKey(key))
        {
            await Problems.WriteAsync(http, Problems.Validation(IdempotencyKeyOptions.HeaderName,
                $"Send one Idempotency-Key of 1 to {IdempotencyKeyOptions.MaxKeyLength} printable ASCII characters."));
            return;
        }

        // Authorization has run: every command requires a caller, and every token names its subject.
        var subject = http.User.FindFirst("sub")?.Value ?? "";
        http.Features.Set(new IdempotencyKey(RecordId(subject, key), await HashRequestAsync(http)));
        await next(http);
    }

    /// <summary>
    /// The record's id: the caller's <c>sub</c>, length-prefixed, then the key, so no two callers' keys can meet
    /// (<c>a:b</c> + <c>c</c> and <c>a</c> + <c>b:c</c> are different records).
    /// </summary>
    public static string RecordId(string subject, string key) =>
        $"{subject.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{subject}:{key}";

    private static bool IsValidKey(string key) =>
        key.Length is > 0 and <= IdempotencyKeyOptions.MaxKeyLength && key.All(c => c is >= '!' and <= '~');

    /// <summary>SHA-256 over the method, path, If-Match and body: "the same request".</summary>
    private static async Task<string> HashRequestAsync(HttpContext http)
    {
        http.Request.EnableBuffering();
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        http.Request.Body.Position = 0;
        var head = Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n{http.Request.Headers.IfMatch}\n");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(head);
        sha.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>
/// <c>Idempotency-Key</c> for a command that is not on a case (a webhook endpoint's registration, secret, redelivery): the
/// same promise as a case command's. The key is looked up once, before anything is done: an unexpired answer is given
/// again (another request with the key: 422). A success's answer is staged in the command's own session, so it commits
/// with the command's documents or not at all: inserted, so a request that loses the race to store it gives the
/// winner's answer, or stored over the key's expired one (as the case runner does). The answer is kept in
/// <see cref="IdempotencyRecord.ClearBody"/>: it belongs to no case, so no case key seals it.
/// </summary>
public sealed class OffCaseIdempotency(IDocumentStore store, IClock clock, Microsoft.Extensions.Options.IOptions<IdempotencyKeyOptions> options)
{
    /// <summary>What an earlier request with this request's key left: an answer, now given again, or an expired one to replace.</summary>
    public readonly record struct Earlier(bool Answered, bool Expired);

    /// <summary>Gives the answer of an earlier request with the request's key, if there is one (<see cref="Earlier.Answered"/>).</summary>
    public async Task<Earlier> ReplayAsync(HttpContext http, CancellationToken ct)
    {
        if (IdempotencyKey.Of(http) is not { } key) return default;
        var (earlier, expired) = await new Remembering(key, 0).FindEarlierAsync(store, clock.GetCurrentInstant(), ct);
        if (earlier is null) return new Earlier(false, expired);
        await Remembering.ReplayAsync(http, earlier, key.RequestHash);
        return new Earlier(true, false);
    }

    /// <summary>Stages the answer <paramref name="value"/> (with <paramref name="status"/>) under the request's key, if it has one.</summary>
    public void Remember(HttpContext http, IDocumentSession session, Earlier earlier, int status, object value)
    {
        if (IdempotencyKey.Of(http) is not { } key) return;
        var record = new Remembering(key, status).AnswerFor(value, 0, clock.GetCurrentInstant(), options.Value.Expiry);
        (record.ClearBody, record.Body, record.ETag) = (record.Body, "", null);
        if (earlier.Expired) session.Store(record);
        else session.Insert(record);
    }

    /// <summary>
    /// Commits the session; when another request with the same key committed first, gives its answer instead and returns
    /// false (nothing of this request was stored).
    /// </summary>
    public async Task<bool> SaveAsync(HttpContext http, IDocumentSession session, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
            return true;
        }
        catch (Exception e) when (IdempotencyKey.Of(http) is not null && Persistence.DatabaseFailures.IsConflict(e))
        {
            if (!(await ReplayAsync(http, ct)).Answered) throw;
            return false;
        }
    }
}
