using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.TransparencyNotices.Send;

public sealed record SendTransparencyNoticeCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, SendTransparencyNotice Command) : ICaseCommand<SendTransparencyNoticeResponse>;

public sealed class SendTransparencyNoticeHandler(CaseCommandRunner runner) : CaseCommandHandler<SendTransparencyNoticeCommand, SendTransparencyNoticeResponse>(runner)
{
    protected override Decision Decide(CaseState state, SendTransparencyNoticeCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override SendTransparencyNoticeResponse Respond(SendTransparencyNoticeCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
