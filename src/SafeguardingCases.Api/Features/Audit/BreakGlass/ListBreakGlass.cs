using FastEndpoints;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.BreakGlass;

/// <summary>
/// One break-glass access across all cases (BREAK-GLASS), as auditors list it. Written by the command runner in the
/// same transaction as the case event that granted it.
/// </summary>
public sealed class BreakGlassAuditRow : IAuditRow
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public Actor By { get; set; } = new("", "", []);
    [Domain.Cases.Personal] public string Reason { get; set; } = "";
    public Instant At { get; set; }
    public Instant Until { get; set; }

    /// <summary>Grant time then id, fixed-width, so rows sort and page by it (the cursor).</summary>
    public string SortKey { get; set; } = "";

    public void Open(Infrastructure.Privacy.CaseKeyRing keys, IReadOnlySet<Guid> missing) => Reason = keys.OpenText(Reason, missing);

    public static BreakGlassAuditRow From(Guid caseId, BreakGlassAccessGranted g) => new()
    {
        Id = g.BreakGlassId,
        CaseId = caseId,
        By = g.By,
        Reason = g.Reason,
        At = g.At,
        Until = g.Until,
        SortKey = Cursor.Key(g.At, g.BreakGlassId),
    };
}

/// <summary><c>from</c>/<c>to</c> bound the grant time (optional, open-ended); cursor paging.</summary>
public sealed class ListBreakGlassRequest : AuditPageRequest;

public sealed record BreakGlassEntry(Guid BreakGlassId, Guid CaseId, Actor By, [property: Domain.Cases.Personal] string Reason, Instant At, Instant Until);

public sealed record BreakGlassList(IReadOnlyList<BreakGlassEntry> Items, string? Next);

public sealed class ListBreakGlassValidator : AuditPageValidator<ListBreakGlassRequest>;

/// <summary>GET /audit/break-glass: every break-glass access with who, when, why and until when, oldest first.</summary>
public sealed class ListBreakGlassEndpoint(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys) : Endpoint<ListBreakGlassRequest, BreakGlassList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/break-glass");
        Roles(R.Auditor);
        Description(b => b.Read<BreakGlassList>("Audit", "Every break-glass access to a restricted case, with its reason (BREAK-GLASS)", onCase: false),
            clearDefaults: true);
    }

    public override async Task HandleAsync(ListBreakGlassRequest req, CancellationToken ct)
    {
        var (rows, next) = await SortKeyPage.ReadAsync<BreakGlassAuditRow>(session, keys, req, ct);
        var page = rows.Select(r => new BreakGlassEntry(r.Id, r.CaseId, r.By, r.Reason, r.At, r.Until)).ToList();
        // Every entry is about a restricted case: each case on the page is in the access log (RESTRICTION-OWNERS).
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(page.Select(g => g.CaseId).Distinct());
        await EndpointResults.SendJsonAsync(HttpContext, new BreakGlassList(page, next), StatusCodes.Status200OK);
    }
}
