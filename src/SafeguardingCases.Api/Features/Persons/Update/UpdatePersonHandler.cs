using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.Persons.Update;

public sealed record UpdatePersonCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, string PersonId, UpdatePersonRequest Request) : ICaseCommand<UpdatePersonResponse>;

public sealed class UpdatePersonHandler(CaseCommandRunner runner) : CaseCommandHandler<UpdatePersonCommand, UpdatePersonResponse>(runner)
{
    protected override Decision Decide(CaseState state, UpdatePersonCommand command, CommandContext context)
    {
        var r = command.Request;
        return CaseDecider.Decide(state, new UpdatePerson(command.PersonId, AgeRules.ToAgeOrNull(r.DateOfBirth, r.AgeYears, r.AgeBand), r.CareAndSupportNeeds, r.ExperiencingOrAtRiskOfAbuseOrNeglect, r.UnableToProtectSelf), context);
    }

    protected override UpdatePersonResponse Respond(UpdatePersonCommand command, CaseState after, long version) => new(command.PersonId, version);
}
