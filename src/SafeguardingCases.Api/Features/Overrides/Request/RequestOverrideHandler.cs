using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Overrides.Request;

public sealed record RequestOverrideCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RequestOverride Command) : ICaseCommand<RequestOverrideResponse>;

public sealed class RequestOverrideHandler(CaseCommandRunner runner) : CaseCommandHandler<RequestOverrideCommand, RequestOverrideResponse>(runner)
{
    protected override Decision Decide(CaseState state, RequestOverrideCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RequestOverrideResponse Respond(RequestOverrideCommand command, CaseState after, long version) => new(command.Command.OverrideId, version);
}
