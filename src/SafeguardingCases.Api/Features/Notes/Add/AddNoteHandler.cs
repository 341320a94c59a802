using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Notes.Add;

public sealed record AddNoteCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AddNote Command) : ICaseCommand<AddNoteResponse>;

public sealed class AddNoteHandler(CaseCommandRunner runner) : CaseCommandHandler<AddNoteCommand, AddNoteResponse>(runner)
{
    protected override Decision Decide(CaseState state, AddNoteCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override AddNoteResponse Respond(AddNoteCommand command, CaseState after, long version) => new(command.Command.NoteId, version);
}
