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
        var age = r.AgeYears is null && r.AgeBand is null
            ? state.FindPerson(command.PersonId)?.Age ?? Age.Unknown
            : AgeRules.ToAge(r.AgeYears, r.AgeBand);
        return CaseDecider.Decide(state, new UpdatePerson(command.PersonId, age, r.CareAndSupportNeeds, r.ExperiencingOrAtRiskOfAbuseOrNeglect, r.UnableToProtectSelf), context);
    }

    protected override UpdatePersonResponse Respond(UpdatePersonCommand command, CaseState after, long version) => new(command.PersonId, version);
}
