using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Escalations.Make;

public sealed record EscalateCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, Escalate Command) : ICaseCommand<EscalateResponse>;

public sealed class EscalateHandler(CaseCommandRunner runner) : CaseCommandHandler<EscalateCommand, EscalateResponse>(runner)
{
    protected override Decision Decide(CaseState state, EscalateCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override EscalateResponse Respond(EscalateCommand command, CaseState after, long version) => new(command.Command.EscalationId, version, after.FindEscalation(command.Command.EscalationId)!.Made.Decision);
}
