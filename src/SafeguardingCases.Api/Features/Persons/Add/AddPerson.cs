using FastEndpoints;
using FluentValidation;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Persons.Add;

public sealed record AddPersonRequest(string? Reference, string? Description, LocalDate? DateOfBirth, int? AgeYears, AgeBand? AgeBand);

public sealed record AddPersonResponse(string PersonId, long Version);

public sealed class AddPersonValidator : Validator<AddPersonRequest>
{
    public AddPersonValidator()
    {
        RuleFor(x => x.Reference).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Description).NotEmpty().MaximumLength(TextLimits.Summary);
        this.AddAgeRules(x => x.DateOfBirth, x => x.AgeYears, x => x.AgeBand);
    }
}

/// <summary>POST /cases/{id}/persons: another person at risk, such as the children a coach still trains.</summary>
public sealed class AddPersonEndpoint(ISender sender) : CaseCommandEndpoint<AddPersonRequest, AddPersonResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/persons");
        Roles(R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Command<AddPersonRequest, AddPersonResponse>("Persons", "Add a person at risk"), clearDefaults: true);
    }

    protected override CaseCommand<AddPersonResponse> ToCommand(AddPersonRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new AddPersonCommand(caseId, expectedVersion, actor, new AddPerson(req.Reference!, req.Description!, AgeRules.ToAge(req.DateOfBirth, req.AgeYears, req.AgeBand)));
}

public sealed record AddPersonCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AddPerson Command) : CaseCommand<AddPersonResponse>(CaseId, ExpectedVersion, Actor);

public sealed class AddPersonHandler(CaseCommandRunner runner) : CaseCommandHandler<AddPersonCommand, AddPersonResponse>(runner)
{
    protected override Decision Decide(CaseState state, AddPersonCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override AddPersonResponse Respond(AddPersonCommand command, CaseState after, long version) =>
        new(after.Persons[^1].Id, version);
}
