using FastEndpoints;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Persons.Update;

/// <summary>
/// Age and the three adult-at-risk answers (ADULT-AT-RISK). An answer left out is recorded as not known. When none of
/// dateOfBirth, ageYears or ageBand is given the age already recorded is kept, so recording the answers never erases
/// an age; <c>"ageBand": "Unknown"</c> records an unknown age. A date of birth re-judges every disclosure (AGE-CHILD).
/// </summary>
public sealed record UpdatePersonRequest(LocalDate? DateOfBirth, int? AgeYears, AgeBand? AgeBand, bool? CareAndSupportNeeds, bool? ExperiencingOrAtRiskOfAbuseOrNeglect, bool? UnableToProtectSelf);

public sealed record UpdatePersonResponse(string PersonId, long Version);

public sealed class UpdatePersonValidator : Validator<UpdatePersonRequest>
{
    public UpdatePersonValidator() => this.AddAgeRules(x => x.DateOfBirth, x => x.AgeYears, x => x.AgeBand);
}

/// <summary>PUT /cases/{id}/persons/{personId}: record a person's age and the adult-at-risk answers.</summary>
public sealed class UpdatePersonEndpoint(ISender sender) : CaseCommandEndpoint<UpdatePersonRequest, UpdatePersonResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Put("/cases/{id}/persons/{personId}");
        Roles(R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Command<UpdatePersonRequest, UpdatePersonResponse>("Persons", "Record a person's age and the adult-at-risk answers", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<UpdatePersonResponse> ToCommand(UpdatePersonRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new UpdatePersonCommand(caseId, expectedVersion, actor, Route<string>("personId")!, req);
}

public sealed record UpdatePersonCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, string PersonId, UpdatePersonRequest Request) : CaseCommand<UpdatePersonResponse>(CaseId, ExpectedVersion, Actor);

public sealed class UpdatePersonHandler(CaseCommandRunner runner) : CaseCommandHandler<UpdatePersonCommand, UpdatePersonResponse>(runner)
{
    protected override Decision Decide(CaseState state, UpdatePersonCommand command, CommandContext context)
    {
        var r = command.Request;
        return CaseDecider.Decide(state, new UpdatePerson(command.PersonId, AgeRules.ToAgeOrNull(r.DateOfBirth, r.AgeYears, r.AgeBand), r.CareAndSupportNeeds, r.ExperiencingOrAtRiskOfAbuseOrNeglect, r.UnableToProtectSelf), context);
    }

    protected override UpdatePersonResponse Respond(UpdatePersonCommand command, CaseState after, long version) => new(command.PersonId, version);
}
