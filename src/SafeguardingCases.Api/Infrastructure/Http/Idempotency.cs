using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.Options;
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
/// The Idempotency-Key of the request in hand (one per request scope). The edge (<see cref="IdempotencyMiddleware"/>)
/// fills it in; the endpoint says what a success answers; the command runner stages the answer in the command's own
/// transaction. Nothing here reads <see cref="HttpContext"/>.
/// </summary>
public sealed class IdempotencyScope(IOptions<IdempotencyKeyOptions> options, IClock clock)
{
    private static readonly JsonSerializerOptions Json = JsonSetup.Create();

    private bool replaceExpired;
    private int successStatus = StatusCodes.Status201Created;
    private Func<object, string>? location;

    /// <summary>The stored record's id (<see cref="IdempotencyMiddleware.RecordId"/>), or null when the request carries no key.</summary>
    public string? RecordId { get; private set; }

    public string RequestHash { get; private set; } = "";

    /// <summary>The answer of an earlier request with this key, found when this one lost the race to commit.</summary>
    public IdempotencyRecord? EarlierAnswer { get; private set; }

    public void Begin(string recordId, string requestHash)
    {
        RecordId = recordId;
        RequestHash = requestHash;
    }

    /// <summary>What a success answers: its status and, for something new, where it lives.</summary>
    public void Answers(int status, Func<object, string>? locationOf = null)
    {
        successStatus = status;
        location = locationOf;
    }

    /// <summary>
    /// A new case's id. With a key it is derived from the caller and the key, so a retried open of the same case
    /// collides with the first one instead of opening a second case.
    /// </summary>
    public Guid NewCaseId()
    {
        return RecordId is null ? Guid.CreateVersion7() : Domain.DeterministicGuid.Of("open-case\n" + RecordId);
    }

    /// <summary>
    /// The answer to remember for a command that succeeds with <paramref name="value"/>, committed with the command's
    /// events so they land together or not at all; null when the request carries no key.
    /// </summary>
    public IdempotencyRecord? Answer(object value, long version)
    {
        if (RecordId is null) return null;
        var now = clock.GetCurrentInstant();
        return new IdempotencyRecord
        {
            Id = RecordId,
            RequestHash = RequestHash,
            StatusCode = successStatus,
            Body = JsonSerializer.Serialize(value, value.GetType(), Json),
            Location = location?.Invoke(value),
            ETag = CaseVersion.ToETag(version),
            CreatedAtUnixMs = now.ToUnixTimeMilliseconds(),
            ExpiresAtUnixMs = (now + options.Value.Expiry).ToUnixTimeMilliseconds(),
        };
    }

    /// <summary>
    /// After a lost race or a refusal: did a request with this key commit first? Then its answer is ours. A record
    /// past its expiry no longer counts: it is replaced by this request's answer when this request commits.
    /// </summary>
    public async Task<bool> FindEarlierAnswerAsync(IDocumentStore store, CancellationToken ct)
    {
        if (RecordId is null) return false;
        await using var session = store.QuerySession();
        var record = await session.LoadAsync<IdempotencyRecord>(RecordId, ct);
        if (record is null) return false;
        if (record.ExpiresAtUnixMs <= clock.GetCurrentInstant().ToUnixTimeMilliseconds())
        {
            replaceExpired = true;
            return false;
        }
        EarlierAnswer = record;
        return true;
    }

    /// <summary>True once an expired record of this key was found: the next try replaces it instead of colliding.</summary>
    public bool ReplacesExpired => replaceExpired;

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
    public async Task InvokeAsync(HttpContext http, IdempotencyScope scope)
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
        scope.Begin(RecordId(subject, key), await HashRequestAsync(http));
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

