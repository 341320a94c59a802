using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Access.Lift;

public sealed record LiftRestrictionResponse(Guid Id, long Version);

/// <summary>DELETE /cases/{id}/restriction: a named lead lifts the restriction; break-glass grants end with it.</summary>
public sealed class LiftRestrictionEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, LiftRestrictionResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Delete("/cases/{id}/restriction");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, LiftRestrictionResponse>("Access", "Lift the case's restriction (NEED-TO-KNOW)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<LiftRestrictionResponse> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new LiftRestrictionCommand(caseId, expectedVersion, actor);
}

public sealed record LiftRestrictionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor) : CaseCommand<LiftRestrictionResponse>(CaseId, ExpectedVersion, Actor);

public sealed class LiftRestrictionHandler(CaseCommandRunner runner) : CaseCommandHandler<LiftRestrictionCommand, LiftRestrictionResponse>(runner)
{
    protected override Decision Decide(CaseState state, LiftRestrictionCommand command, CommandContext context) => CaseDecider.Decide(state, new LiftRestriction(), context);

    protected override LiftRestrictionResponse Respond(LiftRestrictionCommand command, CaseState after, long version) => new(command.CaseId, version);
}
