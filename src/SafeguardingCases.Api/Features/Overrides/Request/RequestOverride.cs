using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Overrides.Request;

public sealed record RequestOverrideRequest(Route? Route, string? PersonId, string? Justification);

public sealed record RequestOverrideResponse(Guid OverrideId, long Version);

public sealed class RequestOverrideValidator : Validator<RequestOverrideRequest>
{
    public RequestOverrideValidator()
    {
        RuleFor(x => x.Route).NotNull().IsInEnum().NotEqual(Route.None).WithMessage("route is Emergency or NonEmergency.");
        RuleFor(x => x.PersonId).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Justification).NotEmpty().MaximumLength(TextLimits.LongText);
    }
}

/// <summary>POST /cases/{id}/overrides: a lead asks to depart from the policy for one route and person (OVERRIDE).</summary>
public sealed class RequestOverrideEndpoint(ISender sender) : CaseCommandEndpoint<RequestOverrideRequest, RequestOverrideResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/overrides");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<RequestOverrideRequest, RequestOverrideResponse>("Overrides", "Request a policy override"), clearDefaults: true);
    }

    protected override CaseCommand<RequestOverrideResponse> ToCommand(RequestOverrideRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RequestOverrideCommand(caseId, expectedVersion, actor, new RequestOverride(Guid.NewGuid(), req.Route!.Value, req.PersonId!, req.Justification!));
}

public sealed record RequestOverrideCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RequestOverride Command) : CaseCommand<RequestOverrideResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RequestOverrideHandler(CaseCommandRunner runner) : CaseCommandHandler<RequestOverrideCommand, RequestOverrideResponse>(runner)
{
    protected override Decision Decide(CaseState state, RequestOverrideCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RequestOverrideResponse Respond(RequestOverrideCommand command, CaseState after, long version) => new(command.Command.OverrideId, version);
}
