using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Access.Restrict;

/// <summary>NEED-TO-KNOW: the staff (token subjects) who may see the case, and why it is restricted.</summary>
public sealed record RestrictCaseRequest(IReadOnlyList<string>? AllowedSubjects, string? Reason);

/// <summary>The restriction in force: the named staff (the restricting lead among them) and the case's version.</summary>
public sealed record RestrictionResponse(Guid Id, IReadOnlyList<string> AllowedSubjects, long Version);

public sealed class RestrictCaseValidator : Validator<RestrictCaseRequest>
{
    public const int MaxSubjects = 100;

    public RestrictCaseValidator()
    {
        RuleFor(x => x.AllowedSubjects).NotEmpty().Must(s => s is null || s.Count <= MaxSubjects).WithMessage($"At most {MaxSubjects} staff.");
        RuleForEach(x => x.AllowedSubjects).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
    }
}

/// <summary>PUT /cases/{id}/restriction: a lead restricts the case to named staff (a case event); again, to change the list.</summary>
public sealed class RestrictCaseEndpoint(ISender sender) : CaseCommandEndpoint<RestrictCaseRequest, RestrictionResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Put("/cases/{id}/restriction");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<RestrictCaseRequest, RestrictionResponse>("Access",
            "Restrict the case to named staff (NEED-TO-KNOW); the lead who restricts it is always named", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<RestrictionResponse> ToCommand(RestrictCaseRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RestrictCaseCommand(caseId, expectedVersion, actor, new RestrictCase([.. req.AllowedSubjects!], req.Reason!));
}

public sealed record RestrictCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RestrictCase Command) : CaseCommand<RestrictionResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RestrictCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<RestrictCaseCommand, RestrictionResponse>(runner)
{
    protected override Decision Decide(CaseState state, RestrictCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RestrictionResponse Respond(RestrictCaseCommand command, CaseState after, long version) =>
        new(command.CaseId, [.. after.Restriction!.AllowedSubjects], version);
}
