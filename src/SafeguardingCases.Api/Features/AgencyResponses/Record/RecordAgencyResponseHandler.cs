using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.AgencyResponses.Record;

public sealed record RecordAgencyResponseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordAgencyResponse Command) : ICaseCommand<RecordAgencyResponseResponse>;

public sealed class RecordAgencyResponseHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordAgencyResponseCommand, RecordAgencyResponseResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordAgencyResponseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordAgencyResponseResponse Respond(RecordAgencyResponseCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
