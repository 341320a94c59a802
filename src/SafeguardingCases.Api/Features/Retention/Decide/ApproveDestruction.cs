using FastEndpoints;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Retention.Decide;

/// <summary>The destruction done: the decision approved, the case's version after it, and when its key was destroyed.</summary>
public sealed record DestructionApprovalResponse(Guid DecisionId, long Version, Instant DestroyedAt);

/// <summary>
/// POST /cases/{id}/retention-decisions/{decisionId}/approval: a second, different lead approves a request to destroy
/// the record (DESTRUCTION-TWO-LEADS). The case's data key is destroyed with the <c>CaseDataDestroyed</c> event, in one
/// transaction; its personal data reads as destroyed from then on, while its events, hashes and proofs stay.
/// </summary>
public sealed class ApproveDestructionEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, DestructionApprovalResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Post("/cases/{id}/retention-decisions/{decisionId}/approval");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, DestructionApprovalResponse>("Retention",
            "Approve another lead's request to destroy the record: the case's data key is destroyed (DESTRUCTION-TWO-LEADS)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<DestructionApprovalResponse> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new ApproveDestructionCommand(caseId, expectedVersion, actor, new ApproveDestruction(this.RouteId("decisionId")));
}

public sealed record ApproveDestructionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ApproveDestruction Command) : CaseCommand<DestructionApprovalResponse>(CaseId, ExpectedVersion, Actor);

public sealed class ApproveDestructionHandler(CaseCommandRunner runner) : CaseCommandHandler<ApproveDestructionCommand, DestructionApprovalResponse>(runner)
{
    protected override Decision Decide(CaseState state, ApproveDestructionCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override DestructionApprovalResponse Respond(ApproveDestructionCommand command, CaseState after, long version) =>
        new(command.Command.DecisionId, version, after.DataDestroyed!.At);
}
