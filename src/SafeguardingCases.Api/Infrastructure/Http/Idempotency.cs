using System.Security.Cryptography;
using JasperFx;
using Marten;
using Microsoft.Extensions.Options;
using NodaTime;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>The <c>Idempotency</c> configuration section.</summary>
public sealed class IdempotencyKeyOptions
{
    public const string SectionName = "Idempotency";
    public const string HeaderName = "Idempotency-Key";
    public const int MaxKeyLength = 200;

    /// <summary>How long a key is remembered.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromHours(24);
}

/// <summary>A remembered POST: the request's hash and the first response, stored in PostgreSQL.</summary>
public sealed class IdempotencyRecord
{
    public string Id { get; set; } = "";
    public string RequestHash { get; set; } = "";
    public bool Completed { get; set; }
    public int StatusCode { get; set; }
    public string? ContentType { get; set; }
    public string? Body { get; set; }
    public string? Location { get; set; }
    public string? ETag { get; set; }
    public long CreatedAtUnixMs { get; set; }
    public long ExpiresAtUnixMs { get; set; }
}

/// <summary>
/// <c>Idempotency-Key</c> on every POST. The same key with the same body returns the first response and runs nothing;
/// with another body, 422. Keys are per caller (<c>sub</c>) and live in PostgreSQL, so they hold across restarts and
/// instances. A key is claimed before the command runs, so two concurrent requests with one key cannot both run:
/// the second gets 409 until the first has answered.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IOptions<IdempotencyKeyOptions> options, IClock clock, ILogger<IdempotencyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http, IDocumentStore store)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || http.GetEndpoint() is null
            || !http.Request.Headers.TryGetValue(IdempotencyKeyOptions.HeaderName, out var keys))
        {
            await next(http);
            return;
        }

        var key = keys.ToString().Trim();
        if (key.Length is 0 or > IdempotencyKeyOptions.MaxKeyLength || keys.Count > 1)
        {
            await Problems.WriteAsync(http, Problems.Create(400, "Invalid Idempotency-Key", $"Send one Idempotency-Key of 1 to {IdempotencyKeyOptions.MaxKeyLength} characters."));
            return;
        }

        var subject = http.User.FindFirst("sub")?.Value ?? "anonymous";
        var id = $"{subject}:{key}";
        var hash = await HashRequestAsync(http);
        var now = clock.GetCurrentInstant().ToUnixTimeMilliseconds();

        await using (var session = store.LightweightSession())
        {
            var existing = await session.LoadAsync<IdempotencyRecord>(id, http.RequestAborted);
            if (existing is not null && existing.ExpiresAtUnixMs > now)
            {
                await AnswerFromRecordAsync(http, existing, hash);
                return;
            }
            if (existing is not null) session.Delete(existing);
            session.Insert(new IdempotencyRecord
            {
                Id = id,
                RequestHash = hash,
                CreatedAtUnixMs = now,
                ExpiresAtUnixMs = now + (long)options.Value.Expiry.TotalMilliseconds,
            });
            try
            {
                await session.SaveChangesAsync(http.RequestAborted);
            }
            catch (DocumentAlreadyExistsException)
            {
                // Another request claimed the key between our read and our insert.
                await using var again = store.QuerySession();
                var winner = await again.LoadAsync<IdempotencyRecord>(id, http.RequestAborted);
                if (winner is null) throw;
                await AnswerFromRecordAsync(http, winner, hash);
                return;
            }
        }

        var originalBody = http.Response.Body;
        using var captured = new MemoryStream();
        http.Response.Body = captured;
        var completed = false;
        try
        {
            await next(http);
            completed = http.Response.StatusCode < 500;
        }
        finally
        {
            http.Response.Body = originalBody;
            await using var session = store.LightweightSession();
            if (completed)
            {
                var record = await session.LoadAsync<IdempotencyRecord>(id, CancellationToken.None);
                if (record is not null)
                {
                    record.Completed = true;
                    record.StatusCode = http.Response.StatusCode;
                    record.ContentType = http.Response.ContentType;
                    record.Body = System.Text.Encoding.UTF8.GetString(captured.ToArray());
                    record.Location = http.Response.Headers.Location.ToString() is { Length: > 0 } l ? l : null;
                    record.ETag = http.Response.Headers.ETag.ToString() is { Length: > 0 } e ? e : null;
                    session.Store(record);
                }
            }
            else
            {
                // A fault answered nothing lasting: release the key so the client can retry it.
                session.Delete<IdempotencyRecord>(id);
            }
            await session.SaveChangesAsync(CancellationToken.None);
            captured.Position = 0;
            await captured.CopyToAsync(originalBody, CancellationToken.None);
        }
    }

    private async Task AnswerFromRecordAsync(HttpContext http, IdempotencyRecord record, string hash)
    {
        if (record.RequestHash != hash)
        {
            await Problems.WriteAsync(http, Problems.Create(422, "Idempotency-Key reused", "This Idempotency-Key was used with a different request; use a new key for a new request."));
            return;
        }
        if (!record.Completed)
        {
            await Problems.WriteAsync(http, Problems.Create(409, "Request in progress", "A request with this Idempotency-Key is still being processed; retry shortly."));
            return;
        }

        logger.LogInformation("Replaying the response for Idempotency-Key {Key}", record.Id);
        http.Response.StatusCode = record.StatusCode;
        http.Response.Headers["Idempotent-Replayed"] = "true";
        if (record.Location is not null) http.Response.Headers.Location = record.Location;
        if (record.ETag is not null) http.Response.Headers.ETag = record.ETag;
        if (record.ContentType is not null) http.Response.ContentType = record.ContentType;
        if (record.Body is { Length: > 0 }) await http.Response.WriteAsync(record.Body, http.RequestAborted);
    }

    /// <summary>SHA-256 over the method, path, If-Match and body: "the same request".</summary>
    private static async Task<string> HashRequestAsync(HttpContext http)
    {
        http.Request.EnableBuffering();
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        http.Request.Body.Position = 0;
        var head = System.Text.Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n{http.Request.Headers.IfMatch}\n");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(head);
        sha.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}

/// <summary>Deletes expired idempotency keys once an hour.</summary>
public sealed class IdempotencyCleanup(IDocumentStore store, IClock clock, ILogger<IdempotencyCleanup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var session = store.LightweightSession();
                var now = clock.GetCurrentInstant().ToUnixTimeMilliseconds();
                session.DeleteWhere<IdempotencyRecord>(r => r.ExpiresAtUnixMs < now);
                await session.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not delete expired idempotency keys; will try again in an hour.");
            }
        }
    }
}
