using FastEndpoints;
using Marten;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Features.Audit.Overrides;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Overrides.Awaiting;

/// <summary><c>from</c>/<c>to</c> bound the request time (optional, open-ended); cursor paging.</summary>
public sealed class OverridesAwaitingRequest : AuditPageRequest;

public sealed class OverridesAwaitingValidator : AuditPageValidator<OverridesAwaitingRequest>;

/// <summary>
/// GET /overrides/awaiting-approval: OVERRIDE needs two different leads, and the second has to learn that the first
/// asked. Every override not yet approved by two, on an open case the reader may see (NEED-TO-KNOW: a restricted case's
/// only to the staff it names), longest waiting first, so a lead finds what waits on them without being told the case.
/// Every case shown is in the access log (ACCESS-LOG).
/// </summary>
public sealed class ListOverridesAwaitingApprovalEndpoint(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys)
    : Endpoint<OverridesAwaitingRequest, OverrideList>, ILogsCaseAccess
{
    /// <summary>The override's case is open and not hidden from the reader by a restriction (the list row's flag and names).</summary>
    private static readonly string OnAnOpenCaseTheReaderMaySee =
        $"exists (select 1 from {MartenSetup.CaseSummaryTable} r where r.id = (d.data ->> 'caseId')::uuid and r.status = 'Open' " +
        $"and {Cases.List.CaseSummary.ShownToReader("r")})";

    public override void Configure()
    {
        Get("/overrides/awaiting-approval");
        Roles(R.SafeguardingLead);
        Description(b => b.Read<OverrideList>("Overrides",
            "Policy overrides not yet approved by two leads, on open cases the reader may see, longest waiting first (OVERRIDE; cursor paging)", onCase: false),
            clearDefaults: true);
    }

    public override async Task HandleAsync(OverridesAwaitingRequest req, CancellationToken ct)
    {
        var (rows, next) = await SortKeyPage.ReadAsync<OverrideAuditRow>(session, keys, req, ct,
            ("d.data ->> 'status' = ?", nameof(OverrideStatus.Requested)), (OnAnOpenCaseTheReaderMaySee, User.ToActor().Subject));
        var page = rows.Select(r => r.ToEntry()).ToList();
        CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(page.Select(o => o.CaseId).Distinct());
        await EndpointResults.SendJsonAsync(HttpContext, new OverrideList(page, next), StatusCodes.Status200OK);
    }
}
