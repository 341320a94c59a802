using FastEndpoints;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Exports;

/// <summary>
/// One export across all cases, as auditors list it: written by the command runner in the same transaction as the
/// case's ledger-signed <see cref="ChronologyExported"/> event. Recipient and purpose are sealed under the case's key.
/// </summary>
public sealed class ExportAuditRow : IAuditRow
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public Actor By { get; set; } = new("", "", []);
    public ExportAudience Audience { get; set; }
    public Agency? Agency { get; set; }
    [Personal] public string Recipient { get; set; } = "";
    [Personal] public string Purpose { get; set; } = "";
    public List<long> Versions { get; set; } = [];
    public string RootHash { get; set; } = "";
    public Instant At { get; set; }

    /// <summary>Export time then id, fixed-width, so rows sort and page by it (the cursor).</summary>
    public string SortKey { get; set; } = "";

    public void Open(Infrastructure.Privacy.CaseKeyRing keys, IReadOnlySet<Guid> missing) =>
        (Recipient, Purpose) = (keys.OpenText(Recipient, missing), keys.OpenText(Purpose, missing));

    public static ExportAuditRow From(Guid caseId, ChronologyExported e) => new()
    {
        Id = e.ExportId,
        CaseId = caseId,
        By = e.By,
        Audience = e.Audience,
        Agency = e.Agency,
        Recipient = e.Recipient,
        Purpose = e.Purpose,
        Versions = [.. e.Versions],
        RootHash = e.RootHash,
        At = e.At,
        SortKey = Cursor.Key(e.At, e.ExportId),
    };
}

/// <summary><c>from</c>/<c>to</c> bound the export time (optional, open-ended); cursor paging.</summary>
public sealed class ListExportsRequest : AuditPageRequest;

/// <summary>One export: who, when, which case, for whom and why, and which entries (case versions) it held, with its tree's root.</summary>
public sealed record ExportEntrySummary(Guid ExportId, Guid CaseId, Actor By, Instant At, ExportAudience Audience, Agency? Agency,
    [property: Personal] string Recipient, [property: Personal] string Purpose, IReadOnlyList<long> Versions, string RootHash);

public sealed record ExportList(IReadOnlyList<ExportEntrySummary> Items, string? Next);

public sealed class ListExportsValidator : AuditPageValidator<ListExportsRequest>;

/// <summary>GET /audit/exports: every export that left the service, oldest first.</summary>
public sealed class ListExportsEndpoint(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys) : Endpoint<ListExportsRequest, ExportList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/exports");
        Roles(R.Auditor);
        Description(b => b.Read<ExportList>("Audit", "Every export of a case: who, when, audience, recipient, purpose and entries", onCase: false),
            clearDefaults: true);
    }

    public override async Task HandleAsync(ListExportsRequest req, CancellationToken ct)
    {
        var (rows, next) = await SortKeyPage.ReadAsync<ExportAuditRow>(session, keys, req, ct);
        var page = rows.Select(r => new ExportEntrySummary(r.Id, r.CaseId, r.By, r.At, r.Audience, r.Agency, r.Recipient, r.Purpose,
            r.Versions, r.RootHash)).ToList();
        // Each case on the page is in the access log (RESTRICTION-OWNERS: audit pages log the cases they show).
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(page.Select(x => x.CaseId).Distinct());
        await EndpointResults.SendJsonAsync(HttpContext, new ExportList(page, next), StatusCodes.Status200OK);
    }
}
