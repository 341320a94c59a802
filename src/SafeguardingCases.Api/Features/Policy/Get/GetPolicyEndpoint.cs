using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Policy.Get;

/// <summary>GET /cases/{id}/policy: what the policy says now, for every person and route, with the rule IDs.</summary>
public sealed class GetPolicyEndpoint(ISender sender) : EndpointWithoutRequest<CasePolicyView>
{
    public override void Configure()
    {
        Get("/cases/{id}/policy");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<CasePolicyView>("Policy", "The policy decision for this case now (POLICY.md section 7)"), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var view = await sender.Send(new GetPolicyQuery(Route<Guid>("id")), ct);
        await this.SendCaseReadAsync(view, view?.Version ?? 0);
    }
}
