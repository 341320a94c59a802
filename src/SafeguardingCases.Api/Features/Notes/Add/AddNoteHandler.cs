using Mediator;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Notes.Add;

public sealed record AddNoteCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AddNote Command) : IRequest<CaseCommandResult<AddNoteResponse>>;

public sealed class AddNoteHandler(CaseCommandRunner runner) : IRequestHandler<AddNoteCommand, CaseCommandResult<AddNoteResponse>>
{
    public async ValueTask<CaseCommandResult<AddNoteResponse>> Handle(AddNoteCommand request, CancellationToken cancellationToken) =>
        await runner.RunAsync(request.CaseId, request.ExpectedVersion, request.Actor,
            (state, ctx) => CaseDecider.Decide(state, request.Command, ctx),
            (_, version) => new AddNoteResponse(request.Command.NoteId, version), cancellationToken);
}
