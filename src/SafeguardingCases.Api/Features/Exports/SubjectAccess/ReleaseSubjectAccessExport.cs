using FastEndpoints;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.SubjectAccess;

public sealed record SubjectAccessExportReleased(Guid ExportId, string Status, Instant ReleasedAt, long Version);

/// <summary>
/// POST /cases/{id}/subject-access-exports/{exportId}/release: a lead releases the export once every flag is decided
/// (409 while one is not); only then can it be downloaded.
/// </summary>
public sealed class ReleaseSubjectAccessExportEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, SubjectAccessExportReleased>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Post("/cases/{id}/subject-access-exports/{exportId}/release");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, SubjectAccessExportReleased>("Exports",
            "Release a subject access export whose flags are all decided, so it can be downloaded", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<SubjectAccessExportReleased> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new ReleaseSubjectAccessExportCommand(caseId, expectedVersion, actor, new ReleaseSubjectAccess(this.RouteId("exportId")));
}

public sealed record ReleaseSubjectAccessExportCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ReleaseSubjectAccess Command)
    : CaseCommand<SubjectAccessExportReleased>(CaseId, ExpectedVersion, Actor);

public sealed class ReleaseSubjectAccessExportHandler(CaseCommandRunner runner)
    : CaseCommandHandler<ReleaseSubjectAccessExportCommand, SubjectAccessExportReleased>(runner)
{
    protected override Decision Decide(CaseState state, ReleaseSubjectAccessExportCommand command, CommandContext context) =>
        CaseDecider.Decide(state, command.Command, context);

    protected override SubjectAccessExportReleased Respond(ReleaseSubjectAccessExportCommand command, CaseState after, long version) =>
        new(command.Command.ExportId, "Released", after.FindSubjectAccessExport(command.Command.ExportId)!.Released!.At, version);
}
