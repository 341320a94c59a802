using FastEndpoints;
using FluentValidation;
using Marten;
using Marten.Pagination;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Access;

public sealed class ListAccessRequest
{
    public Guid? CaseId { get; set; }
    public int? Page { get; set; }
    public int? PageSize { get; set; }
}

public sealed class ListAccessValidator : Validator<ListAccessRequest>
{
    public ListAccessValidator()
    {
        RuleFor(x => x.Page).InclusiveBetween(1, Paging.MaxPage);
        RuleFor(x => x.PageSize).InclusiveBetween(1, 500);
    }
}

/// <summary>One read: <c>how</c> the reader came to see the case (ACCESS-LOG: Role, Named, BreakGlass, Refused, or Listed), and the HTTP status answered.</summary>
public sealed record AccessEntry(Guid CaseId, string Subject, string Name, IReadOnlyList<string> Roles, string Route, Instant At, bool Found, string How, int Status);

public sealed record AccessLog(IReadOnlyList<AccessEntry> Entries, int Page, int PageSize, long Total);

public sealed record ListAccessQuery(Guid? CaseId, int Page, int PageSize) : IRequest<AccessLog>;

public sealed class ListAccessHandler(IQuerySession session) : IRequestHandler<ListAccessQuery, AccessLog>
{
    public async ValueTask<AccessLog> Handle(ListAccessQuery request, CancellationToken cancellationToken)
    {
        IQueryable<CaseAccessRecord> query = session.Query<CaseAccessRecord>();
        if (request.CaseId is { } caseId) query = query.Where(a => a.CaseId == caseId);
        var page = await query.OrderByDescending(a => a.AtUnixMs).ThenBy(a => a.Id).ToPagedListAsync(request.Page, request.PageSize, cancellationToken);
        return new AccessLog([.. page.Select(a => new AccessEntry(a.CaseId, a.Subject, a.Name, a.Roles, a.Route, a.At, a.Found, a.How, a.Status))], request.Page, request.PageSize, page.TotalItemCount);
    }
}

/// <summary>GET /audit/access?caseId=: who read which case, when, through which route (newest first).</summary>
public sealed class ListAccessEndpoint(ISender sender) : Endpoint<ListAccessRequest, AccessLog>
{
    public override void Configure()
    {
        Get("/audit/access");
        Roles(R.Auditor);
        Description(b => b.Read<AccessLog>("Audit", "Who read which case, when", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(ListAccessRequest req, CancellationToken ct) =>
        await EndpointResults.SendJsonAsync(HttpContext, await sender.Send(new ListAccessQuery(req.CaseId, req.Page ?? 1, req.PageSize ?? 100), ct), StatusCodes.Status200OK);
}
