using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.List;

/// <summary>The list's filters: <c>status</c>, <c>obligation</c> (TransparencyNoticeDue, ReportDue, RiskAssessmentNeeded, ...), and paging.</summary>
public sealed class ListCasesRequest
{
    public CaseStatus? Status { get; set; }
    public Domain.Policy.ObligationType? Obligation { get; set; }
    public int? Page { get; set; }
    public int? PageSize { get; set; }
}

public sealed class ListCasesValidator : Validator<ListCasesRequest>
{
    public const int MaxPageSize = 200;

    public ListCasesValidator()
    {
        RuleFor(x => x.Status).IsInEnum();
        RuleFor(x => x.Obligation).IsInEnum();
        RuleFor(x => x.Page).InclusiveBetween(1, Paging.MaxPage);
        RuleFor(x => x.PageSize).InclusiveBetween(1, MaxPageSize);
    }
}

/// <summary>GET /cases: the case list with filters and paging; with an obligation filter, the most urgent first.</summary>
public sealed class ListCasesEndpoint(ISender sender) : Endpoint<ListCasesRequest, CaseList>
{
    public override void Configure()
    {
        Get("/cases");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.Read<CaseList>("Cases", "List cases (filters: status, obligation; paging)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(ListCasesRequest req, CancellationToken ct)
    {
        var list = await sender.Send(new ListCasesQuery(req.Status, req.Obligation, req.Page ?? 1, req.PageSize ?? 50), ct);
        await EndpointResults.SendJsonAsync(HttpContext, list, StatusCodes.Status200OK);
    }
}
