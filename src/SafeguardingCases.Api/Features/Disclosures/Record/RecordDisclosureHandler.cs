using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Disclosures.Record;

public sealed record RecordDisclosureCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordDisclosure Command) : ICaseCommand<RecordDisclosureResponse>;

public sealed class RecordDisclosureHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordDisclosureCommand, RecordDisclosureResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordDisclosureCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordDisclosureResponse Respond(RecordDisclosureCommand command, CaseState after, long version) => new(command.Command.DisclosureId, version);
}
