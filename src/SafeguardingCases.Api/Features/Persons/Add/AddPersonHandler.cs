using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Persons.Add;

public sealed record AddPersonCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AddPerson Command) : ICaseCommand<AddPersonResponse>;

public sealed class AddPersonHandler(CaseCommandRunner runner) : CaseCommandHandler<AddPersonCommand, AddPersonResponse>(runner)
{
    protected override Decision Decide(CaseState state, AddPersonCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override AddPersonResponse Respond(AddPersonCommand command, CaseState after, long version) =>
        new(after.Persons[^1].Id, version);
}
