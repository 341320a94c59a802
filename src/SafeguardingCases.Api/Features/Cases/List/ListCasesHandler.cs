using Marten;
using Marten.Pagination;
using Mediator;
using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases.List;

public sealed record CaseListItem(
    Guid Id, long Version, CaseStatus Status, Channel Channel, string SourceReference, string Summary,
    Instant OpenedAt, Instant LastChangedAt, PersonClassification ServiceUserClassification,
    IReadOnlyList<ObligationSummary> OutstandingObligations, Instant? NextDueBy);

public sealed record CaseList(IReadOnlyList<CaseListItem> Items, int Page, int PageSize, long Total);

public sealed record ListCasesQuery(CaseStatus? Status, ObligationType? Obligation, int Page, int PageSize) : IRequest<CaseList>;

public sealed class ListCasesHandler(IQuerySession session) : IRequestHandler<ListCasesQuery, CaseList>
{
    public async ValueTask<CaseList> Handle(ListCasesQuery request, CancellationToken cancellationToken)
    {
        IQueryable<CaseSummary> query = session.Query<CaseSummary>();
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
            c.NextDueByUnixMs == long.MaxValue ? null : Instant.FromUnixTimeMilliseconds(c.NextDueByUnixMs))).ToList();
        return new CaseList(items, request.Page, request.PageSize, page.TotalItemCount);
    }
}
