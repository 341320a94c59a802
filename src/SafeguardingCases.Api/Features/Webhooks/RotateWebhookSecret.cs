using FastEndpoints;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>
/// POST /webhooks/{id}/secret: a new signing secret (shown once). The old one keeps signing beside it for
/// <c>Notifications__SecretOverlap</c> (default a day), so the receiver can switch without losing a delivery.
/// </summary>
public sealed class RotateWebhookSecretEndpoint(IDocumentSession session, IClock clock, NotificationOptions options, OffCaseIdempotency idempotency)
    : EndpointWithoutRequest<WebhookSecretResponse>
{
    public override void Configure()
    {
        Post("/webhooks/{id}/secret");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<WebhookSecretResponse>("Webhooks",
            "Rotate a webhook endpoint's signing secret; the old one still signs for Notifications__SecretOverlap", onCase: false)
            .Produces<Problem>(404, Problems.ContentType).Produces<Problem>(422, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        // Idempotency-Key: a retried rotation gives the secret the first one made, not a third that leaves it behind.
        var earlier = await idempotency.ReplayAsync(HttpContext, ct);
        if (earlier.Answered) return;
        if (await WebhookRoutes.FindAsync(session, HttpContext, ct) is not { } endpoint) return;
        var now = clock.GetCurrentInstant();
        var fresh = new WebhookSecret(WebhookEndpoint.NewSecret(), now, null);
        endpoint.Secrets = [fresh, .. endpoint.SigningSecrets(now).Select(s => endpoint.Secrets.First(x => x.Secret == s))
            .Select(s => s with { ExpiresAt = s.ExpiresAt is { } at && at < now + options.SecretOverlap ? at : now + options.SecretOverlap })];
        session.Update(endpoint);
        var answer = new WebhookSecretResponse(endpoint.Id, fresh.Secret);
        idempotency.Remember(HttpContext, session, earlier, StatusCodes.Status200OK, answer);
        if (!await idempotency.SaveAsync(HttpContext, session, ct)) return;
        await EndpointResults.SendJsonAsync(HttpContext, answer, StatusCodes.Status200OK);
    }
}
