using Mediator;
using SafeguardingCases.Api.Features.Cases.Close;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.Reopen;

/// <summary>POST /cases/{id}/reopen: the only command a closed case accepts.</summary>
public sealed class ReopenCaseEndpoint(ISender sender) : CaseCommandEndpoint<CaseStatusRequest, CaseStatusResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Post("/cases/{id}/reopen");
        Roles(R.SafeguardingOfficer);
        Description(b => b.Command<CaseStatusRequest, CaseStatusResponse>("Cases", "Reopen a closed case", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<CaseStatusResponse> ToCommand(CaseStatusRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new ReopenCaseCommand(caseId, expectedVersion, actor, new ReopenCase(req.Reason!));
}

public sealed record ReopenCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ReopenCase Command) : CaseCommand<CaseStatusResponse>(CaseId, ExpectedVersion, Actor);

public sealed class ReopenCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<ReopenCaseCommand, CaseStatusResponse>(runner)
{
    protected override Decision Decide(CaseState state, ReopenCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override CaseStatusResponse Respond(ReopenCaseCommand command, CaseState after, long version) => new(command.CaseId, CaseStatus.Open, version);
}
