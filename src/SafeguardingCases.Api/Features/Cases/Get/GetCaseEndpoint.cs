using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.Get;

/// <summary>GET /cases/{id}: the case as it stands, with classifications and outstanding obligations.</summary>
public sealed class GetCaseEndpoint(ISender sender) : CaseReadEndpoint<CaseView>(sender)
{
    public override void Configure()
    {
        Get("/cases/{id}");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<CaseView>("Cases", "The case as it stands now"), clearDefaults: true);
    }

    protected override IRequest<CaseView?> Query(Guid caseId) => new GetCaseQuery(caseId);

    protected override long VersionOf(CaseView view) => view.Version;
}
