using FastEndpoints;
using FluentValidation;
using Marten;
using Marten.Pagination;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
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

/// <summary>
/// GET /cases: the case list with filters and paging; with an obligation filter, the most urgent first. A restricted
/// case is listed only to the staff named in its restriction (NEED-TO-KNOW): to anyone else it is not there at all,
/// since a case about a member of staff must not show even its existence to that member of staff. Every case shown
/// is in the access log.
/// </summary>
public sealed class ListCasesEndpoint(ISender sender) : Endpoint<ListCasesRequest, CaseList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/cases");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.Read<CaseList>("Cases", "List cases (filters: status, obligation; paging)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(ListCasesRequest req, CancellationToken ct)
    {
        var list = await sender.Send(new ListCasesQuery(User.ToActor(), req.Status, req.Obligation, req.Page ?? 1, req.PageSize ?? 50), ct);
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(list.Items.Select(i => i.Id));
        await EndpointResults.SendJsonAsync(HttpContext, list, StatusCodes.Status200OK);
    }
}

public sealed record CaseListItem(
    Guid Id, long Version, CaseStatus Status, Channel Channel, string SourceReference, string Summary,
    Instant OpenedAt, Instant LastChangedAt, PersonClassification ServiceUserClassification,
    IReadOnlyList<ObligationSummary> OutstandingObligations, Instant? NextDueBy, bool Restricted);

public sealed record CaseList(IReadOnlyList<CaseListItem> Items, int Page, int PageSize, long Total);

public sealed record ListCasesQuery(Actor Reader, CaseStatus? Status, ObligationType? Obligation, int Page, int PageSize) : IRequest<CaseList>;

public sealed class ListCasesHandler(IQuerySession session) : IRequestHandler<ListCasesQuery, CaseList>
{
    public async ValueTask<CaseList> Handle(ListCasesQuery request, CancellationToken cancellationToken)
    {
        var subject = request.Reader.Subject;
        IQueryable<CaseSummary> query = session.Query<CaseSummary>().Where(c => !c.Restricted || c.AllowedSubjects.Contains(subject));
        if (request.Status is { } status) query = query.Where(c => c.Status == status);
        if (request.Obligation is { } obligation)
        {
            var type = obligation.ToString();
            query = query.Where(c => c.ObligationTypes.Contains(type)).OrderBy(c => c.NextDueByUnixMs).ThenBy(c => c.Id);
        }
        else
        {
            query = query.OrderByDescending(c => c.LastChangedAtUnixMs).ThenBy(c => c.Id);
        }

        var page = await query.ToPagedListAsync(request.Page, request.PageSize, cancellationToken);
        var items = page.Select(c => new CaseListItem(c.Id, c.Version, c.Status, c.Channel, c.SourceReference, c.Summary, c.OpenedAt,
            c.LastChangedAt, c.ServiceUserClassification, c.Obligations,
            c.NextDueByUnixMs == long.MaxValue ? null : Instant.FromUnixTimeMilliseconds(c.NextDueByUnixMs), c.Restricted)).ToList();
        return new CaseList(items, request.Page, request.PageSize, page.TotalItemCount);
    }
}
