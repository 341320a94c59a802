using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Policy;
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

/// <summary>The policy decision for a case at one instant, with the case version it was made on.</summary>
public sealed record CasePolicyView(
    Guid CaseId,
    long Version,
    Instant EvaluatedAt,
    IReadOnlyList<PersonDecision> Persons,
    IReadOnlyList<Obligation> Obligations,
    IReadOnlyList<DisclosurePolicy> Disclosures);

public sealed record GetPolicyQuery(Guid CaseId) : IRequest<CasePolicyView?>, ICaseRead;

public sealed class GetPolicyHandler(IQuerySession session, IOptions<PolicyOptions> policy, IClock clock) : IRequestHandler<GetPolicyQuery, CasePolicyView?>
{
    public async ValueTask<CasePolicyView?> Handle(GetPolicyQuery request, CancellationToken cancellationToken)
    {
        var state = (await session.LoadAsync<CaseStream>(request.CaseId, cancellationToken))?.State;
        if (state is null) return null;
        var decision = PolicyEngine.Evaluate(state, policy.Value, clock.GetCurrentInstant());
        return new CasePolicyView(state.Id, state.Version, decision.EvaluatedAt, decision.Persons, decision.Obligations, decision.Disclosures);
    }
}
