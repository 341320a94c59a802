using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.SafetyPlans.Record;

public sealed record RecordSafetyPlanCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordSafetyPlanAttempt Command) : ICaseCommand<RecordSafetyPlanResponse>;

public sealed class RecordSafetyPlanHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordSafetyPlanCommand, RecordSafetyPlanResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordSafetyPlanCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordSafetyPlanResponse Respond(RecordSafetyPlanCommand command, CaseState after, long version) => new(command.Command.SafetyPlanId, version);
}
