using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Integrity;

/// <summary>GET /cases/{id}/integrity: recompute the case's hash chain from the stored events.</summary>
public sealed class VerifyIntegrityEndpoint(ISender sender) : EndpointWithoutRequest<IntegrityReport>
{
    public override void Configure()
    {
        Get("/cases/{id}/integrity");
        Roles(R.Auditor);
        Description(b => b.Read<IntegrityReport>("Audit", "Verify the case's tamper-evident hash chain"), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var report = await sender.Send(new VerifyIntegrityQuery(Route<Guid>("id")), ct);
        await this.SendCaseReadAsync(report, report?.Events ?? 0);
    }
}
