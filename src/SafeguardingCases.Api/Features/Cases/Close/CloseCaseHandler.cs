using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Cases.Close;

public sealed record CloseCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, CloseCase Command) : ICaseCommand<CaseStatusResponse>;

public sealed class CloseCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<CloseCaseCommand, CaseStatusResponse>(runner)
{
    protected override Decision Decide(CaseState state, CloseCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override CaseStatusResponse Respond(CloseCaseCommand command, CaseState after, long version) => new(command.CaseId, CaseStatus.Closed, version);
}
