using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.TransparencyNotices.Withhold;

public sealed record WithholdTransparencyNoticeCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, WithholdTransparencyNotice Command) : ICaseCommand<WithholdTransparencyNoticeResponse>;

public sealed class WithholdTransparencyNoticeHandler(CaseCommandRunner runner) : CaseCommandHandler<WithholdTransparencyNoticeCommand, WithholdTransparencyNoticeResponse>(runner)
{
    protected override Decision Decide(CaseState state, WithholdTransparencyNoticeCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override WithholdTransparencyNoticeResponse Respond(WithholdTransparencyNoticeCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
