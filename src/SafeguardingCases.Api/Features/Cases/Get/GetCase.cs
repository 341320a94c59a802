using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
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

    protected override IRequest<CaseRead<CaseView>> Query(Guid caseId, Domain.Cases.Actor reader) => new GetCaseQuery(caseId, reader);

    protected override long VersionOf(CaseView view) => view.Version;
}

public sealed record GetCaseQuery(Guid CaseId, Domain.Cases.Actor Reader) : IRequest<CaseRead<CaseView>>;

/// <summary>Reads the inline case projection, written in the same transaction as the case's events.</summary>
public sealed class GetCaseHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, IOptions<PolicyOptions> policy, NodaTime.IClock clock) : IRequestHandler<GetCaseQuery, CaseRead<CaseView>>
{
    public async ValueTask<CaseRead<CaseView>> Handle(GetCaseQuery request, CancellationToken cancellationToken)
    {
        var now = clock.GetCurrentInstant();
        var (state, basis, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Reader, now, cancellationToken);
        if (refusal is not null) return CaseReadAccess.Refused<CaseView>(refusal);
        return state is null ? CaseRead<CaseView>.NotFound : new(CaseView.From(state, policy.Value, now), basis, null);
    }
}
