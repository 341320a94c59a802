using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Integrity;

/// <summary>GET /cases/{id}/integrity: recompute the case's hash chain from the stored events.</summary>
public sealed class VerifyIntegrityEndpoint(ISender sender) : CaseReadEndpoint<IntegrityReport>(sender)
{
    public override void Configure()
    {
        Get("/cases/{id}/integrity");
        Roles(R.Auditor);
        Description(b => b.Read<IntegrityReport>("Audit", "Verify the case's tamper-evident hash chain"), clearDefaults: true);
    }

    protected override IRequest<IntegrityReport?> Query(Guid caseId) => new VerifyIntegrityQuery(caseId);

    protected override long VersionOf(IntegrityReport view) => view.Events;
}
