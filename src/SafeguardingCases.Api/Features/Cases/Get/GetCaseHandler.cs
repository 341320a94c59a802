using Marten;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.Persistence;
using Microsoft.Extensions.Options;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases.Get;

public sealed record GetCaseQuery(Guid CaseId) : IRequest<CaseView?>, ICaseRead;

/// <summary>Reads the inline case projection, written in the same transaction as the case's events.</summary>
public sealed class GetCaseHandler(IQuerySession session, IOptions<PolicyOptions> policy, NodaTime.IClock clock) : IRequestHandler<GetCaseQuery, CaseView?>
{
    public async ValueTask<CaseView?> Handle(GetCaseQuery request, CancellationToken cancellationToken)
    {
        var state = (await session.LoadAsync<CaseStream>(request.CaseId, cancellationToken))?.State;
        return state is null ? null : CaseView.From(state, policy.Value, clock.GetCurrentInstant());
    }
}
