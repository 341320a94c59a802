using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Policy.Get;

/// <summary>GET /cases/{id}/policy: what the policy says now, for every person and route, with the rule IDs.</summary>
public sealed class GetPolicyEndpoint(ISender sender) : CaseReadEndpoint<CasePolicyView>(sender)
{
    public override void Configure()
    {
        Get("/cases/{id}/policy");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<CasePolicyView>("Policy", "The policy decision for this case now (POLICY.md section 7)"), clearDefaults: true);
    }

    protected override IRequest<CasePolicyView?> Query(Guid caseId) => new GetPolicyQuery(caseId);

    protected override long VersionOf(CasePolicyView view) => view.Version;
}
