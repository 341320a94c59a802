using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.NoEscalationDecisions.Record;

public sealed record RecordNoEscalationDecisionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordNoEscalationDecision Command) : ICaseCommand<RecordNoEscalationDecisionResponse>;

public sealed class RecordNoEscalationDecisionHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordNoEscalationDecisionCommand, RecordNoEscalationDecisionResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordNoEscalationDecisionCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordNoEscalationDecisionResponse Respond(RecordNoEscalationDecisionCommand command, CaseState after, long version) => new(command.Command.DecisionId, version);
}
