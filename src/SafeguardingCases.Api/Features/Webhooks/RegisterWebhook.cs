using FastEndpoints;
using FluentValidation;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Webhooks;

public sealed record RegisterWebhookRequest(string? Url, IReadOnlyList<WebhookEvent>? Events);

/// <summary>The new endpoint's id and its signing secret: the only time the secret is shown.</summary>
public sealed record WebhookSecretResponse(Guid WebhookId, string Secret);

public sealed class RegisterWebhookValidator : Validator<RegisterWebhookRequest>
{
    public const int MaxUrl = 2000;

    public RegisterWebhookValidator()
    {
        RuleFor(x => x.Url).NotEmpty().MaximumLength(MaxUrl)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.UserInfo))
            .WithMessage("url must be an absolute http or https address without credentials.")
            .Must(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || !WebhookAddresses.NamesRefusedAddress(uri))
            .WithMessage("url must not be a link-local, unspecified or multicast address (a cloud's metadata service lives there).");
        RuleFor(x => x.Events).NotEmpty();
        RuleForEach(x => x.Events).IsInEnum();
    }
}

/// <summary>POST /webhooks: a lead registers another system's endpoint for some events; deliveries are signed with its secret.</summary>
public sealed class RegisterWebhookEndpoint(IDocumentSession session, IClock clock, OffCaseIdempotency idempotency) : Endpoint<RegisterWebhookRequest, WebhookSecretResponse>
{
    public override void Configure()
    {
        Post("/webhooks");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<RegisterWebhookRequest, WebhookSecretResponse>("Webhooks",
            "Register a webhook endpoint for some events; the answer holds its signing secret, shown only this once", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(RegisterWebhookRequest req, CancellationToken ct)
    {
        // Idempotency-Key: a retried registration is the first one, never a second endpoint sent every event again.
        var earlier = await idempotency.ReplayAsync(HttpContext, ct);
        if (earlier.Answered) return;
        var now = clock.GetCurrentInstant();
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.CreateVersion7(),
            Url = req.Url!,
            Events = [.. req.Events!.Distinct()],
            Secrets = [new WebhookSecret(WebhookEndpoint.NewSecret(), now, null)],
            CreatedBy = User.ToActor().Subject,
            CreatedAt = now,
        };
        session.Insert(endpoint);
        var answer = new WebhookSecretResponse(endpoint.Id, endpoint.Secrets[0].Secret);
        idempotency.Remember(HttpContext, session, earlier, StatusCodes.Status201Created, answer);
        if (!await idempotency.SaveAsync(HttpContext, session, ct)) return;
        await EndpointResults.SendJsonAsync(HttpContext, answer, StatusCodes.Status201Created);
    }
}
