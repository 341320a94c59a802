using FastEndpoints;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Glossary;

/// <summary>The policy's terms and its rule IDs.</summary>
public sealed record GlossaryResponse(IReadOnlyList<GlossaryEntry> Terms, IReadOnlyList<string> RuleIds);

/// <summary>GET /glossary: definitions of the policy's terms, for anyone.</summary>
public sealed class GetGlossaryEndpoint : EndpointWithoutRequest<GlossaryResponse>
{
    private static readonly GlossaryResponse Terms = new(Domain.Policy.Glossary.Entries, Domain.Policy.RuleIds.All);

    public override void Configure()
    {
        Get("/glossary");
        AllowAnonymous();
        Description(b => b.Read<GlossaryResponse>("Policy", "Definitions of the policy's terms", onCase: false), clearDefaults: true);
    }

    public override Task HandleAsync(CancellationToken ct) => Send.OkAsync(Terms, ct);
}
