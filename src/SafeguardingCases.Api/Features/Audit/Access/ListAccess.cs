using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Access;

/// <summary><c>caseId</c> filters; cursor paging (<c>limit</c>, then <c>cursor</c> = the last page's <c>next</c>), newest first.</summary>
public sealed class ListAccessRequest
{
    /// <summary>Only the accesses of this case; none: every case's.</summary>
    public Guid? CaseId { get; set; }
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class ListAccessValidator : Validator<ListAccessRequest>
{
    public const int MaxLimit = 500;

    public ListAccessValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, MaxLimit);
        RuleFor(x => x.Cursor).Must(c => c is null || Infrastructure.Http.Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>One read: <c>how</c> the reader came to see the case (ACCESS-LOG: Role, Named, BreakGlass, Refused, or Listed), and the HTTP status answered.</summary>
/// <summary>One read of a case; <c>exportId</c> and <c>exportAudience</c> when the read sent an export out.</summary>
public sealed record AccessEntry(Guid CaseId, string Subject, string Name, IReadOnlyList<string> Roles, string Route, Instant At, bool Found, string How, int Status,
    Guid? ExportId = null, string? ExportAudience = null);

/// <summary>One page of the access log, newest first; <c>next</c> is the cursor of the following page, null on the last.</summary>
public sealed record AccessLog(IReadOnlyList<AccessEntry> Items, string? Next);

public sealed record ListAccessQuery(Guid? CaseId, int Limit, string? CursorKey) : IRequest<AccessLog>;

/// <summary>
/// A keyset page on the access records' time index (or, for one case, its case index): the same cost on the first
/// page and the thousandth, however many reads the log holds, and no count of them all.
/// </summary>
public sealed class ListAccessHandler(IQuerySession session) : IRequestHandler<ListAccessQuery, AccessLog>
{
    public async ValueTask<AccessLog> Handle(ListAccessQuery request, CancellationToken cancellationToken)
    {
        var where = new System.Text.StringBuilder("where true");
        var parameters = new List<object>();
        if (request.CaseId is { } caseId)
        {
            where.Append(" and CAST(d.data ->> 'caseId' as uuid) = ?");
            parameters.Add(caseId);
        }
        if (request.CursorKey is { } key)
        {
            var (ms, id) = Infrastructure.Http.Cursor.Parse(key);
            where.Append(" and CAST(d.data ->> 'atUnixMs' as bigint) <= ? and (CAST(d.data ->> 'atUnixMs' as bigint) < ? or d.id < ?)");
            parameters.AddRange([ms, ms, id]);
        }
        where.Append(System.Globalization.CultureInfo.InvariantCulture, $" order by CAST(d.data ->> 'atUnixMs' as bigint) desc, d.id desc limit {request.Limit + 1}");
        var rows = await session.QueryAsync<CaseAccessRecord>(where.ToString(), cancellationToken, [.. parameters]);
        var items = rows.Take(request.Limit).Select(a => new AccessEntry(a.CaseId, a.Subject, a.Name, a.Roles, a.Route, a.At, a.Found, a.How, a.Status, a.ExportId, a.ExportAudience)).ToList();
        var next = rows.Count > request.Limit
            ? Infrastructure.Http.Cursor.Encode(Infrastructure.Http.Cursor.Key(rows[request.Limit - 1].At, rows[request.Limit - 1].Id))
            : null;
        return new AccessLog(items, next);
    }
}

/// <summary>GET /audit/access?caseId=: who read which case, when, through which route and how (newest first, cursor-paged).</summary>
public sealed class ListAccessEndpoint(ISender sender) : Endpoint<ListAccessRequest, AccessLog>
{
    public override void Configure()
    {
        Get("/audit/access");
        Roles(R.Auditor);
        Description(b => b.Read<AccessLog>("Audit", "Who read which case, when, and how", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(ListAccessRequest req, CancellationToken ct) =>
        await EndpointResults.SendJsonAsync(HttpContext, await sender.Send(new ListAccessQuery(req.CaseId, req.Limit ?? 100,
            req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor)), ct), StatusCodes.Status200OK);
}
