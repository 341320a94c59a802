using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
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
public sealed class AddNoteEndpoint(ISender sender) : Endpoint<AddNoteRequest, AddNoteResponse>
{
    public override void Configure()
    {
        Post("/cases/{id}/notes");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead);
        Description(b => b.Command<AddNoteRequest, AddNoteResponse>("Notes", "Add a note"), clearDefaults: true);
    }

    public override async Task HandleAsync(AddNoteRequest req, CancellationToken ct)
    {
        var (ok, expected) = await this.ReadIfMatchAsync();
        if (!ok) return;
        var result = await sender.Send(new AddNoteCommand(Route<Guid>("id"), expected, User.ToActor(), new AddNote(Guid.NewGuid(), req.Text!)), ct);
        await this.SendCaseResultAsync(result, StatusCodes.Status201Created);
    }
}
