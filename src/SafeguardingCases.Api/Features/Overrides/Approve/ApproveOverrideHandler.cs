using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Overrides.Approve;

public sealed record ApproveOverrideCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ApproveOverride Command) : ICaseCommand<ApproveOverrideResponse>;

public sealed class ApproveOverrideHandler(CaseCommandRunner runner) : CaseCommandHandler<ApproveOverrideCommand, ApproveOverrideResponse>(runner)
{
    protected override Decision Decide(CaseState state, ApproveOverrideCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override ApproveOverrideResponse Respond(ApproveOverrideCommand command, CaseState after, long version) =>
        new(command.Command.OverrideId, version, after.FindOverride(command.Command.OverrideId)!.IsApproved);
}
