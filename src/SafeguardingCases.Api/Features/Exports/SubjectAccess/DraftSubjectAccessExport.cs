using FastEndpoints;
using Marten;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.SubjectAccess;

/// <summary>The draft made: its id, how many entries await a lead's decision, and the case's version after it.</summary>
public sealed record SubjectAccessExportCreated(Guid ExportId, int Flags, long Version);

/// <summary>
/// POST /cases/{id}/subject-access-exports: drafts a subject access export for the service user, of the case as it
/// stands: staff names and other people's identifying data redacted, and every entry that may fall under an exemption
/// (child abuse, serious harm, a withheld transparency notice, a criminal investigation) flagged for a lead.
/// </summary>
public sealed class DraftSubjectAccessExportEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, SubjectAccessExportCreated>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/subject-access-exports");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, SubjectAccessExportCreated>("Exports",
            "Draft a subject access export for the service user: redacted, with entries flagged for a lead's decision"), clearDefaults: true);
    }

    protected override CaseCommand<SubjectAccessExportCreated> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new DraftSubjectAccessExportCommand(caseId, expectedVersion, actor, Guid.CreateVersion7());
}

public sealed record DraftSubjectAccessExportCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, Guid ExportId) : CaseCommand<SubjectAccessExportCreated>(CaseId, ExpectedVersion, Actor);

/// <summary>Flags the entries of the case as stored (the pure <see cref="Domain.Cases.Chronology.ExemptionFlags"/>), then records the draft.</summary>
public sealed class DraftSubjectAccessExportHandler(IQuerySession session, CaseCommandRunner runner)
    : IRequestHandler<DraftSubjectAccessExportCommand, CaseCommandResult<SubjectAccessExportCreated>>
{
    public async ValueTask<CaseCommandResult<SubjectAccessExportCreated>> Handle(DraftSubjectAccessExportCommand request, CancellationToken cancellationToken)
    {
        var events = (await Exporting.EventsAsync(session, request.CaseId, cancellationToken)).Events;
        if (events.Count == 0) return CaseCommandResult.Fail<SubjectAccessExportCreated>(CommandStatus.CaseNotFound);
        var draft = new DraftSubjectAccess(request.ExportId, events[^1].Version, Domain.Cases.Chronology.ExemptionFlags(request.ExportId, events));
        return await new CaseCommandFunctions<SubjectAccessExportCreated>(runner,
            (state, ctx) => CaseDecider.Decide(state, draft, ctx),
            (_, _, version) => new SubjectAccessExportCreated(request.ExportId, draft.Flags.Count, version))
            .Handle(new(request.CaseId, request.ExpectedVersion, request.Actor, request.Remembering), cancellationToken);
    }
}
