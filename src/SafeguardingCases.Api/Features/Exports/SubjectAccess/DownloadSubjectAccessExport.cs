using FastEndpoints;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.SubjectAccess;

/// <summary>
/// GET /cases/{id}/subject-access-exports/{exportId}/document: the released export as the service user receives it,
/// JSON (the chronology's shape, with its redactions by ground and the proofs of what it includes) or PDF by
/// <c>Accept</c>; 409 until a lead has released it. Every download is recorded like any export.
/// </summary>
public sealed class DownloadSubjectAccessExportEndpoint(ISender sender) : EndpointWithoutRequest<ChronologyExport>, ILogsCaseAccessBeforeAnswering
{
    public override void Configure()
    {
        Get("/cases/{id}/subject-access-exports/{exportId}/document");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead);
        Description(b => b.Read<ChronologyExport>("Exports",
                "A released subject access export as the service user receives it, with its redactions and proofs; JSON, or application/pdf by Accept")
            .WithMetadata(new AlsoAnswersAs((Exporting.Pdf, "binary")))
            .Produces<Problem>(406, Problems.ContentType).Produces<RefusalProblem>(409, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        if (Exporting.Negotiate(HttpContext.Request, csvAllowed: false) is not { } format)
        {
            await Exporting.NotAcceptableAsync(HttpContext, csvAllowed: false);
            return;
        }
        var result = await sender.Send(new DownloadSubjectAccessExportQuery(this.RouteId("id"), this.RouteId("exportId"), User.ToActor()), ct);
        if (result.Status != CommandStatus.Done)
        {
            await Exporting.NotMadeAsync(this, result);
            return;
        }
        await Exporting.SendAsync(HttpContext, result.Value!, format, "Your safeguarding record (subject access request)", result.Version);
    }
}

public sealed record DownloadSubjectAccessExportQuery(Guid CaseId, Guid ExportId, Actor Actor) : IRequest<CaseCommandResult<ChronologyExport>>;

public sealed class DownloadSubjectAccessExportHandler(IQuerySession session, Infrastructure.Privacy.CaseKeyRing keys, CaseCommandRunner runner, EventLedger ledger, IClock clock)
    : IRequestHandler<DownloadSubjectAccessExportQuery, CaseCommandResult<ChronologyExport>>
{
    public const string Recipient = "The service user (subject access request)";

    public async ValueTask<CaseCommandResult<ChronologyExport>> Handle(DownloadSubjectAccessExportQuery request, CancellationToken cancellationToken)
    {
        var (state, _, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Actor, clock.GetCurrentInstant(), cancellationToken);
        if (refusal is not null) return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.Refused, refusal);
        if (state is null) return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.CaseNotFound);
        if (state.FindSubjectAccessExport(request.ExportId) is not { } export)
            return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.Refused, Refusal.NotFound($"No subject access export with id '{request.ExportId}' in this case."));
        if (export.Released is null)
            return CaseCommandResult.Fail<ChronologyExport>(CommandStatus.Refused,
                Refusal.Conflict("This subject access export is a draft: a lead decides every flag and releases it before it can be downloaded."));

        var stored = await Exporting.EventsAsync(session, request.CaseId, cancellationToken);
        var content = Domain.Cases.Chronology.SubjectAccess(stored.Events, export);
        // Each download is an export of its own (its own id, tree and record); its purpose names the subject access export.
        return await Exporting.ProveAndRecordAsync(runner, ledger, request.CaseId, request.Actor, ExportAudience.Subject, null, Recipient,
            $"Subject access request (export {request.ExportId:D})", content.Entries, stored.Hashes, content.Redactions,
            cancellationToken);
    }
}
