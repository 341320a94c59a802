using Marten;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.Persistence;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Policy.Get;

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
