using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Notes.Add;

public sealed record AddNoteRequest(string? Text);

public sealed record AddNoteResponse(Guid NoteId, long Version);

public sealed class AddNoteValidator : Validator<AddNoteRequest>
{
    public AddNoteValidator() => RuleFor(x => x.Text).NotEmpty().MaximumLength(TextLimits.LongText);
}

/// <summary>POST /cases/{id}/notes: a free-text note on the case record.</summary>
public sealed class AddNoteEndpoint(ISender sender) : CaseCommandEndpoint<AddNoteRequest, AddNoteResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/notes");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.Command<AddNoteRequest, AddNoteResponse>("Notes", "Add a note"), clearDefaults: true);
    }

    protected override CaseCommand<AddNoteResponse> ToCommand(AddNoteRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new AddNoteCommand(caseId, expectedVersion, actor, new AddNote(Guid.NewGuid(), req.Text!));
}

public sealed record AddNoteCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AddNote Command) : CaseCommand<AddNoteResponse>(CaseId, ExpectedVersion, Actor);

public sealed class AddNoteHandler(CaseCommandRunner runner) : CaseCommandHandler<AddNoteCommand, AddNoteResponse>(runner)
{
    protected override Decision Decide(CaseState state, AddNoteCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override AddNoteResponse Respond(AddNoteCommand command, CaseState after, long version) => new(command.Command.NoteId, version);
}
