using FastEndpoints;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.SubjectAccess;

/// <summary>One flag: the entry (case version), why it may be exempt, and the lead's decision and ground once decided.</summary>
public sealed record SubjectAccessFlagView(Guid FlagId, long Version, ExemptionReason Reason, FlagDecision? Decision,
    [property: Personal] string? Ground, Actor? DecidedBy, Instant? DecidedAt);

/// <summary>
/// A subject access export: <c>Draft</c> until a lead releases it. <c>entries</c> are what the service user would
/// receive (redacted; withheld entries left out), <c>redactions</c> every redaction by ground, <c>flags</c> the entries
/// that may be exempt, each with its decision.
/// </summary>
public sealed record SubjectAccessExportView(Guid ExportId, Guid CaseId, long Version, string Status, long UpToVersion, Actor DraftedBy, Instant DraftedAt,
    IReadOnlyList<ChronologyEntry> Entries, IReadOnlyList<Redaction> Redactions, IReadOnlyList<SubjectAccessFlagView> Flags, Actor? ReleasedBy,
    Instant? ReleasedAt);

/// <summary>GET /cases/{id}/subject-access-exports/{exportId}: the draft (or released export) with its redactions and flags.</summary>
public sealed class GetSubjectAccessExportEndpoint(ISender sender) : EndpointWithoutRequest<SubjectAccessExportView>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/cases/{id}/subject-access-exports/{exportId}");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead);
        Description(b => b.Read<SubjectAccessExportView>("Exports", "A subject access export: its entries as they would be released, redactions and flags"),
            clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var read = await sender.Send(new GetSubjectAccessExportQuery(this.RouteId("id"), this.RouteId("exportId"), User.ToActor()), ct);
        if (read.View is null && read.Refusal is null && read.Basis is not null)
        {
            if (CaseAccessFeature.Of(HttpContext) is { } access) access.How = read.How;
            await Problems.WriteAsync(HttpContext, Problems.Create(404, "Not found in this case", "No subject access export with this id in this case."));
            return;
        }
        await this.SendCaseReadAsync(read, view => view.Version);
    }
}

public sealed record GetSubjectAccessExportQuery(Guid CaseId, Guid ExportId, Actor Reader) : IRequest<CaseRead<SubjectAccessExportView>>;

public sealed class GetSubjectAccessExportHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, IClock clock) : IRequestHandler<GetSubjectAccessExportQuery, CaseRead<SubjectAccessExportView>>
{
    public async ValueTask<CaseRead<SubjectAccessExportView>> Handle(GetSubjectAccessExportQuery request, CancellationToken cancellationToken)
    {
        var (state, basis, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Reader, clock.GetCurrentInstant(), cancellationToken);
        if (refusal is not null) return CaseReadAccess.Refused<SubjectAccessExportView>(refusal);
        if (state is null) return CaseRead<SubjectAccessExportView>.NotFound;
        // The case exists and may be read, but has no such export: no view, with the basis (the endpoint answers 404).
        if (state.FindSubjectAccessExport(request.ExportId) is not { } export) return new(null, basis, null);
        var content = Domain.Cases.Chronology.SubjectAccess((await Exporting.EventsAsync(session, request.CaseId, cancellationToken)).Events, export);
        return new(View(state, export, content), basis, null);
    }

    internal static SubjectAccessExportView View(CaseState state, SubjectAccessExport export, SubjectAccessContent content) => new(
        export.Draft.ExportId, state.Id, state.Version, export.Released is null ? "Draft" : "Released", export.Draft.UpToVersion, export.Draft.By, export.Draft.At,
        content.Entries, content.Redactions,
        [.. export.Draft.Flags.Select(f => export.DecisionOn(f.FlagId) is { } d
            ? new SubjectAccessFlagView(f.FlagId, f.Version, f.Reason, d.Decision, d.Ground, d.By, d.At)
            : new SubjectAccessFlagView(f.FlagId, f.Version, f.Reason, null, null, null, null))],
        export.Released?.By, export.Released?.At);
}
