using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>The events an endpoint can subscribe to (DESIGN.md "Allocation and notifications").</summary>
public enum WebhookEvent { ObligationDueSoon, ObligationOverdue, ObligationEscalated, EscalationMade, CaseClosed }

/// <summary>A secret that signs deliveries: <c>whsec_</c> + base64 of 32 random bytes; an old one signs until it expires.</summary>
public sealed record WebhookSecret(string Secret, Instant CreatedAt, Instant? ExpiresAt);

/// <summary>A registered endpoint of another system (an on-call rota, an agency's portal), with the events it takes.</summary>
public sealed class WebhookEndpoint
{
    public Guid Id { get; set; }
    public string Url { get; set; } = "";
    public List<WebhookEvent> Events { get; set; } = [];
    public List<WebhookSecret> Secrets { get; set; } = [];
    public string CreatedBy { get; set; } = "";
    public Instant CreatedAt { get; set; }

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and a rotated one until its overlap ends.</summary>
    public IEnumerable<string> SigningSecrets(Instant now) => Secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).Select(s => s.Secret);

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// One delivery of one event to one endpoint, waiting in the outbox until the endpoint answers 2xx or three days pass.
/// Its id is the <c>webhook-id</c> header, the same on every attempt, so the receiver can drop a repeat.
/// </summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; set; }
    public Guid WebhookId { get; set; }
    public WebhookEvent Type { get; set; }
    public string Body { get; set; } = "";
    public long CreatedAtUnixMs { get; set; }
    /// <summary>When it is next tried; null once delivered or given up.</summary>
    public long? NextAttemptAtUnixMs { get; set; }
    public long GiveUpAtUnixMs { get; set; }
    public int Attempts { get; set; }
    public long? DeliveredAtUnixMs { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
    public bool GaveUp { get; set; }

    /// <summary>The <c>webhook-id</c> header.</summary>
    public string MessageId => $"msg_{Id:N}";

    /// <summary>How long to wait after each failed attempt (the Standard Webhooks schedule, starting a little sooner), then every 10 hours.</summary>
    public static readonly Duration[] Backoff =
    [
        Duration.FromSeconds(1), Duration.FromSeconds(5), Duration.FromMinutes(5), Duration.FromMinutes(30),
        Duration.FromHours(2), Duration.FromHours(5), Duration.FromHours(10),
    ];

    public static readonly Duration GiveUpAfter = Duration.FromDays(3);

    /// <summary>The delivery of <paramref name="what"/> happened to <paramref name="endpoint"/>, due now, given up after three days.</summary>
    public static WebhookDelivery For(WebhookEndpoint endpoint, WebhookEvent type, string what, string body, Instant now) => new()
    {
        Id = IdOf(what, endpoint.Id),
        WebhookId = endpoint.Id,
        Type = type,
        Body = body,
        CreatedAtUnixMs = now.ToUnixTimeMilliseconds(),
        NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds(),
        GiveUpAtUnixMs = (now + GiveUpAfter).ToUnixTimeMilliseconds(),
    };

    /// <summary>A stable id for the delivery of one thing that happened to one endpoint, so it is queued once.</summary>
    public static Guid IdOf(string what, Guid webhookId) => Alert.NotificationIdOf($"webhook\n{what}\n{webhookId:N}");
}

/// <summary>The Standard Webhooks signature: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c> under the secret's bytes.</summary>
public static class WebhookSignature
{
    public static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}

/// <summary>Queues the deliveries of something that happened, in the caller's session (so with what raised it, or not at all).</summary>
public static class WebhookOutbox
{
    private static readonly JsonSerializerOptions Json = Infrastructure.Json.JsonSetup.Create();

    /// <summary>
    /// The body every delivery has: the event's type, when, and which case (with its obligation and due instant for an
    /// alert) and a link to the console; nothing recorded about a person.
    /// </summary>
    public static string Body(WebhookEvent type, Instant at, Guid caseId, string? obligation, Instant? dueBy, NotificationOptions options) =>
        JsonSerializer.Serialize(new
        {
            type = type.ToString(),
            timestamp = at,
            data = new { caseId, obligation, dueBy, link = options.LinkTo(caseId) },
        }, Json);

    public static async Task QueueAsync(IDocumentSession session, WebhookEvent type, string what, string body, Instant now, CancellationToken ct)
    {
        var endpoints = await session.Query<WebhookEndpoint>().ToListAsync(ct);
        foreach (var endpoint in endpoints.Where(e => e.Events.Contains(type))) session.Insert(WebhookDelivery.For(endpoint, type, what, body, now));
    }
}
