using FastEndpoints;
using FluentValidation;
using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Overrides;

/// <summary>What became of an override (OVERRIDE): requested, approved by two leads and unused, or used by an escalation.</summary>
public enum OverrideStatus { Requested, Approved, Used }

public sealed record OverrideApprovalEntry(Actor By, Instant At, [property: Domain.Cases.Personal] string Justification);

/// <summary>
/// One override across all cases, as auditors list it. Written by the command runner in the same transaction as the
/// event that changed it (requested, approved, used), from the case state it has just evolved.
/// </summary>
public sealed class OverrideAuditRow : IAuditRow
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public Route Route { get; set; }
    public string PersonId { get; set; } = "";
    [Domain.Cases.Personal] public string Justification { get; set; } = "";
    public Actor RequestedBy { get; set; } = new("", "", []);
    public Instant RequestedAt { get; set; }
    public List<OverrideApprovalEntry> Approvals { get; set; } = [];
    public OverrideStatus Status { get; set; }
    public Guid? UsedByEscalation { get; set; }

    public OverrideEntry ToEntry() => new(Id, CaseId, Route, PersonId, Justification, RequestedBy, RequestedAt, Approvals, Status, UsedByEscalation);

    /// <summary>Requested time then id, fixed-width, so rows sort and page by it (the cursor).</summary>
    public string SortKey { get; set; } = "";

    public void Open(Infrastructure.Privacy.CaseKeyRing keys, IReadOnlySet<Guid> missing)
    {
        Justification = keys.OpenText(Justification, missing);
        Approvals = [.. Approvals.Select(a => a with { Justification = keys.OpenText(a.Justification, missing) })];
    }

    public static OverrideAuditRow From(Guid caseId, OverrideRecord o) => new()
    {
        Id = o.Request.OverrideId,
        CaseId = caseId,
        Route = o.Request.Route,
        PersonId = o.Request.PersonId,
        Justification = o.Request.Justification,
        RequestedBy = o.Request.By,
        RequestedAt = o.Request.At,
        Approvals = [.. o.Approvals.Select(a => new OverrideApprovalEntry(a.By, a.At, a.Justification))],
        Status = o.UsedByEscalation is not null ? OverrideStatus.Used : o.IsApproved ? OverrideStatus.Approved : OverrideStatus.Requested,
        UsedByEscalation = o.UsedByEscalation,
        SortKey = Cursor.Key(o.Request.At, o.Request.OverrideId),
    };
}

/// <summary><c>from</c>/<c>to</c> bound the request time (optional, open-ended); <c>status</c> filters; cursor paging.</summary>
public sealed class ListOverridesRequest : AuditPageRequest
{
    /// <summary>Only overrides in this state.</summary>
    public OverrideStatus? Status { get; set; }
}

public sealed record OverrideEntry(
    Guid OverrideId, Guid CaseId, Route Route, string PersonId, [property: Domain.Cases.Personal] string Justification, Actor RequestedBy, Instant RequestedAt,
    IReadOnlyList<OverrideApprovalEntry> Approvals, OverrideStatus Status, Guid? UsedByEscalation);

public sealed record OverrideList(IReadOnlyList<OverrideEntry> Items, string? Next);

public sealed class ListOverridesValidator : AuditPageValidator<ListOverridesRequest>
{
    public ListOverridesValidator() => RuleFor(x => x.Status).IsInEnum();
}

/// <summary>GET /audit/overrides: every override across cases, whatever became of it, oldest request first.</summary>
public sealed class ListOverridesEndpoint(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys) : Endpoint<ListOverridesRequest, OverrideList>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/overrides");
        Roles(R.Auditor);
        Description(b => b.Read<OverrideList>("Audit", "Every policy override across cases: requested, approved (by whom, when, why), used or unused", onCase: false),
            clearDefaults: true);
    }

    public override async Task HandleAsync(ListOverridesRequest req, CancellationToken ct)
    {
        var (rows, next) = req.Status is { } status
            ? await SortKeyPage.ReadAsync<OverrideAuditRow>(session, keys, req, ct, ("data ->> 'status' = ?", status.ToString()))
            : await SortKeyPage.ReadAsync<OverrideAuditRow>(session, keys, req, ct);
        var page = rows.Select(r => r.ToEntry()).ToList();
        // Overrides carry each case's justifications: every case on the page is in the access log (ACCESS-LOG).
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(page.Select(o => o.CaseId).Distinct());
        await EndpointResults.SendJsonAsync(HttpContext, new OverrideList(page, next), StatusCodes.Status200OK);
    }
}
