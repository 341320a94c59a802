using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Policy;
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
