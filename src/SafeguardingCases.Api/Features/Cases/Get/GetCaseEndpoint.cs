using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.Get;

/// <summary>GET /cases/{id}: the case as it stands, with classifications and outstanding obligations.</summary>
public sealed class GetCaseEndpoint(ISender sender) : EndpointWithoutRequest<CaseView>
{
    public override void Configure()
    {
        Get("/cases/{id}");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.WithTags("Cases").WithSummary("The case as it stands now")
            .Produces<CaseView>(200).ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var view = await sender.Send(new GetCaseQuery(Route<Guid>("id")), ct);
        await this.SendCaseReadAsync(view, view?.Version ?? 0);
    }
}
