using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Retention.Reviews;

public sealed class RetentionReviewsRequest
{
    /// <summary>Reviews due by this instant (default now).</summary>
    public Instant? DueBefore { get; set; }
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class RetentionReviewsValidator : Validator<RetentionReviewsRequest>
{
    public RetentionReviewsValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, 200);
        RuleFor(x => x.Cursor).Must(c => c is null || Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>A closed case whose retention review is due, with the schedule that says so and any legal hold.</summary>
public sealed record RetentionReviewItem(Guid Id, long Version, [property: Domain.Cases.Personal] string SourceReference, Instant? ClosedAt, Instant ReviewAt, string Schedule, bool LegalHold);

public sealed record RetentionReviewList(IReadOnlyList<RetentionReviewItem> Items, string? Next);

/// <summary>
/// GET /retention/reviews: closed cases whose retention review is due (RETENTION-SCHEDULE), earliest first, one index
/// range read on the list rows' review column. A restricted case is listed only to the staff it names (NEED-TO-KNOW);
/// every case shown is in the access log.
/// </summary>
public sealed class ListRetentionReviewsEndpoint(ISender sender, IClock clock) : Endpoint<RetentionReviewsRequest, RetentionReviewList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/retention/reviews");
        Roles(R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<RetentionReviewList>("Retention",
            "Closed cases whose retention review is due by dueBefore (default now), earliest first (RETENTION-SCHEDULE; cursor paging)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(RetentionReviewsRequest req, CancellationToken ct)
    {
        var list = await sender.Send(new ListRetentionReviewsQuery(User.ToActor(), req.DueBefore ?? clock.GetCurrentInstant(), req.Limit ?? 50,
            req.Cursor is null ? null : Cursor.Decode(req.Cursor)), ct);
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(list.Items.Select(i => i.Id));
        await EndpointResults.SendJsonAsync(HttpContext, list, StatusCodes.Status200OK);
    }
}

public sealed record ListRetentionReviewsQuery(Actor Reader, Instant DueBefore, int Limit, string? CursorKey) : IRequest<RetentionReviewList>;

public sealed class ListRetentionReviewsHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys) : IRequestHandler<ListRetentionReviewsQuery, RetentionReviewList>
{
    public async ValueTask<RetentionReviewList> Handle(ListRetentionReviewsQuery request, CancellationToken cancellationToken)
    {
        var where = $"where d.retention_review_at_unix_ms <= ? and {CaseSummary.ShownToReader("d")}";
        var parameters = new List<object> { request.DueBefore.ToUnixTimeMilliseconds(), request.Reader.Subject };
        if (request.CursorKey is { } key && Cursor.Parse(key) is var (ms, id))
        {
            where += " and (d.retention_review_at_unix_ms > ? or (d.retention_review_at_unix_ms = ? and d.id > ?))";
            parameters.AddRange([ms, ms, id]);
        }
        var rows = await CaseSummary.QueryAsync(session, keys, $"{where} order by d.retention_review_at_unix_ms, d.id limit {request.Limit + 1}",
            [.. parameters], cancellationToken);
        string? next = null;
        if (rows.Count > request.Limit)
        {
            var last = rows[request.Limit - 1];
            next = Cursor.Encode(Cursor.Key(Instant.FromUnixTimeMilliseconds(last.RetentionReviewAtUnixMs!.Value), last.Id));
        }
        return new RetentionReviewList([.. rows.Take(request.Limit).Select(r => new RetentionReviewItem(r.Id, r.Version, r.SourceReference, r.ClosedAt,
            Instant.FromUnixTimeMilliseconds(r.RetentionReviewAtUnixMs!.Value), r.RetentionSchedule ?? "", r.LegalHold))], next);
    }
}
