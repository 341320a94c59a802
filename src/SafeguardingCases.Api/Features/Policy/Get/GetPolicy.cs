using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
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

    protected override IRequest<CaseRead<CasePolicyView>> Query(Guid caseId, Domain.Cases.Actor reader) => new GetPolicyQuery(caseId, reader);

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

public sealed record GetPolicyQuery(Guid CaseId, Domain.Cases.Actor Reader) : IRequest<CaseRead<CasePolicyView>>;

public sealed class GetPolicyHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, IOptions<PolicyOptions> policy, IClock clock) : IRequestHandler<GetPolicyQuery, CaseRead<CasePolicyView>>
{
    public async ValueTask<CaseRead<CasePolicyView>> Handle(GetPolicyQuery request, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var (state, basis, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Reader, now, cancellationToken);
        if (refusal is not null) return CaseReadAccess.Refused<CasePolicyView>(refusal);
        if (state is null) return CaseRead<CasePolicyView>.NotFound;
        var decision = PolicyEngine.Evaluate(state, policy.Value, now);
        return new(new CasePolicyView(state.Id, state.Version, decision.EvaluatedAt, decision.Persons, decision.Obligations, decision.Disclosures), basis, null);
    }
}
