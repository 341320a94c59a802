using SafeguardingCases.Api.Features.Cases.Close;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Cases.Reopen;

public sealed record ReopenCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ReopenCase Command) : ICaseCommand<CaseStatusResponse>;

public sealed class ReopenCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<ReopenCaseCommand, CaseStatusResponse>(runner)
{
    protected override Decision Decide(CaseState state, ReopenCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override CaseStatusResponse Respond(ReopenCaseCommand command, CaseState after, long version) => new(command.CaseId, CaseStatus.Open, version);
}
