using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.RequiredReportDelays.Record;

public sealed record DelayRequiredReportCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, DelayRequiredReport Command) : ICaseCommand<DelayRequiredReportResponse>;

public sealed class DelayRequiredReportHandler(CaseCommandRunner runner) : CaseCommandHandler<DelayRequiredReportCommand, DelayRequiredReportResponse>(runner)
{
    protected override Decision Decide(CaseState state, DelayRequiredReportCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override DelayRequiredReportResponse Respond(DelayRequiredReportCommand command, CaseState after, long version) => new(command.Command.PersonId, command.Command.Until, version);
}
