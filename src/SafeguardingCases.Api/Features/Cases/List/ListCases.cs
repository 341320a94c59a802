using FastEndpoints;
using FluentValidation;
using Marten;
using System.Globalization;
using System.Text;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.List;

/// <summary>
/// The list's filters (<c>status</c>, <c>obligation</c>) and cursor paging (<c>limit</c>, then <c>cursor</c> = the last
/// page's <c>next</c>). <c>page</c>/<c>pageSize</c> still work for older clients, as offset paging bounded to the first
/// 10,000 rows.
/// </summary>
public sealed class ListCasesRequest
{
    /// <summary>Only open or only closed cases.</summary>
    public CaseStatus? Status { get; set; }
    /// <summary>Only the cases that owe this obligation now: a work queue, earliest due first.</summary>
    public ObligationType? Obligation { get; set; }
    /// <summary>Only the cases allocated to this member of staff (their token subject).</summary>
    public string? AllocatedTo { get; set; }
    /// <summary>Only restricted cases (true) or only unrestricted ones (false); either way, only those the caller may see.</summary>
    public bool? Restricted { get; set; }
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
    /// <summary>Offset paging for older clients (1 on), within the first 10,000 cases; use <c>cursor</c> instead.</summary>
    public int? Page { get; set; }
    /// <summary>With <c>page</c>: how many cases a page holds.</summary>
    public int? PageSize { get; set; }
}

public sealed class ListCasesValidator : Validator<ListCasesRequest>
{
    public const int MaxLimit = 200;
    public const int MaxOffset = 10_000;

    public ListCasesValidator()
    {
        RuleFor(x => x.Status).IsInEnum();
        RuleFor(x => x.Obligation).IsInEnum();
        RuleFor(x => x.AllocatedTo).NotEmpty().MaximumLength(Shared.TextLimits.Reference).When(x => x.AllocatedTo is not null);
        RuleFor(x => x.Limit).InclusiveBetween(1, MaxLimit);
        RuleFor(x => x.PageSize).InclusiveBetween(1, MaxLimit);
        RuleFor(x => x.Page).InclusiveBetween(1, Paging.MaxPage);
        RuleFor(x => x.Cursor).Must(c => c is null || Infrastructure.Http.Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
        RuleFor(x => x).Must(x => x.Page is null || x.Cursor is null).OverridePropertyName("page").WithMessage("Give page or cursor, not both.");
        RuleFor(x => x).Must(x => x.Page is null || ((long)x.Page.Value - 1) * (x.Limit ?? x.PageSize ?? 50) < MaxOffset)
            .OverridePropertyName("page").WithMessage($"page reaches at most the first {MaxOffset} cases; use cursor paging (limit, cursor) beyond.");
    }
}

/// <summary>
/// GET /cases: the case list with filters and cursor paging; with an obligation filter, the queue of that obligation,
/// most urgent first. A restricted case is listed only to the staff named in its restriction (NEED-TO-KNOW): to
/// anyone else it is not there at all, since a case about a member of staff must not show even its existence to that
/// member of staff. Every case shown is in the access log. No total count: counting every match costs a scan of them.
/// </summary>
public sealed class ListCasesEndpoint(ISender sender) : Endpoint<ListCasesRequest, CaseList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/cases");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.Read<CaseList>("Cases", "List cases (filters: status, obligation, allocatedTo, restricted; cursor paging with limit and cursor)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(ListCasesRequest req, CancellationToken ct)
    {
        var limit = req.Limit ?? req.PageSize ?? 50;
        var offset = req.Page is { } page ? (page - 1) * limit : 0;
        var list = await sender.Send(new ListCasesQuery(User.ToActor(), req.Status, req.Obligation, req.AllocatedTo, req.Restricted, limit,
            req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor), offset, req.Page is not null), ct);
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(list.Items.Select(i => i.Id));
        await EndpointResults.SendJsonAsync(HttpContext, list, StatusCodes.Status200OK);
    }
}

public sealed record CaseListItem(
    Guid Id, long Version, CaseStatus Status, Channel Channel, [property: Domain.Cases.Personal] string SourceReference, [property: Domain.Cases.Personal] string Summary,
    Instant OpenedAt, Instant LastChangedAt, PersonClassification ServiceUserClassification,
    IReadOnlyList<ObligationSummary> OutstandingObligations, Instant? NextDueBy, bool Restricted, string? AllocatedTo)
{
    /// <summary>The list's item for a list row (the case list, its queues and the search by reference answer the same items).</summary>
    public static CaseListItem From(CaseSummary c) => new(c.Id, c.Version, c.Status, c.Channel, c.SourceReference, c.Summary, c.OpenedAt,
        c.LastChangedAt, c.ServiceUserClassification, c.Obligations,
        c.NextDueByUnixMs == long.MaxValue ? null : Instant.FromUnixTimeMilliseconds(c.NextDueByUnixMs), c.Restricted, c.AllocatedTo);
}

/// <summary>One page of cases; <c>next</c> is the cursor of the following page, null on the last.</summary>
public sealed record CaseList(IReadOnlyList<CaseListItem> Items, string? Next);

/// <param name="Reference">Only the cases of this reference (<c>POST /cases/search</c>; never from a query string).</param>
public sealed record ListCasesQuery(Actor Reader, CaseStatus? Status, ObligationType? Obligation, string? AllocatedTo, bool? Restricted, int Limit, string? CursorKey, int Offset, bool Offsetting,
    string? Reference = null)
    : IRequest<CaseList>;

/// <summary>
/// One SQL query on the list rows' duplicated columns, shaped so PostgreSQL walks one index in order and stops after
/// a page: the latest change first (the last-change index, backwards), or for a queue the earliest due first (that
/// obligation's due column, where only cases owing it have a value). The cursor is the last row's sort key and id.
/// </summary>
public sealed class ListCasesHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys) : IRequestHandler<ListCasesQuery, CaseList>
{
    public async ValueTask<CaseList> Handle(ListCasesQuery request, CancellationToken cancellationToken)
    {
        var parameters = new List<object>();
        var where = new StringBuilder("where " + CaseSummary.ShownToReader("d"));
        parameters.Add(request.Reader.Subject);
        if (request.Status is { } status)
        {
            where.Append(" and d.status = ?");
            parameters.Add(status.ToString());
        }
        if (request.AllocatedTo is { } allocatedTo)
        {
            where.Append(" and d.allocated_to = ?");
            parameters.Add(allocatedTo);
        }
        if (request.Reference is { } reference)
        {
            // The rows whose blind index holds the reference's value (a GIN index; Search/ReferenceIndex.cs).
            where.Append($" and (d.data -> '{Search.ReferenceIndex.Member}') @> ?::jsonb");
            parameters.Add(System.Text.Json.JsonSerializer.Serialize(new[] { Search.ReferenceIndex.Of(reference, Search.ReferenceIndex.Key(session.DocumentStore, keys)) }));
        }
        if (request.Restricted is { } restricted)
        {
            // Restricted cases are few: the partial index on the flag, then a sort of those the caller may see.
            where.Append(" and d.restricted = ?");
            parameters.Add(restricted);
        }
        string sortColumn, order;
        if (request.Obligation is { } obligation)
        {
            sortColumn = CaseSummary.DueColumn(obligation);
            where.Append(CultureInfo.InvariantCulture, $" and d.{sortColumn} is not null");
            if (request.CursorKey is { } key && Infrastructure.Http.Cursor.Parse(key) is var (ms, id))
            {
                where.Append(CultureInfo.InvariantCulture, $" and d.{sortColumn} >= ? and (d.{sortColumn} > ? or d.id > ?)");
                parameters.AddRange([ms, ms, id]);
            }
            order = $"d.{sortColumn}, d.id";
        }
        else
        {
            sortColumn = "last_changed_at_unix_ms";
            if (request.CursorKey is { } key && Infrastructure.Http.Cursor.Parse(key) is var (ms, id))
            {
                where.Append(" and d.last_changed_at_unix_ms <= ? and (d.last_changed_at_unix_ms < ? or d.id < ?)");
                parameters.AddRange([ms, ms, id]);
            }
            order = "d.last_changed_at_unix_ms desc, d.id desc";
        }
        where.Append(CultureInfo.InvariantCulture, $" order by {order} limit {request.Limit + 1}");
        if (request.Offset > 0) where.Append(CultureInfo.InvariantCulture, $" offset {request.Offset}");

        var rows = await CaseSummary.QueryAsync(session, keys, where.ToString(), [.. parameters], cancellationToken);
        var items = rows.Take(request.Limit).Select(CaseListItem.From).ToList();
        string? next = null;
        if (rows.Count > request.Limit && !request.Offsetting)
        {
            var last = rows[request.Limit - 1];
            var key = request.Obligation is { } o ? last.DueOf(o)!.Value : last.LastChangedAtUnixMs;
            next = Infrastructure.Http.Cursor.Encode(Infrastructure.Http.Cursor.Key(Instant.FromUnixTimeMilliseconds(key), last.Id));
        }
        return new CaseList(items, next);
    }

}
