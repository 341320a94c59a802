using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Retention.LegalHold;

public sealed record PlaceLegalHoldRequest(string? Reason);

/// <summary>The hold in force (or none, after a release) and the case's version.</summary>
public sealed record LegalHoldResponse(Guid Id, string? Reason, long Version);

public sealed class PlaceLegalHoldValidator : Validator<PlaceLegalHoldRequest>
{
    public PlaceLegalHoldValidator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
}

/// <summary>PUT /cases/{id}/legal-hold: a lead places a legal hold (LEGAL-HOLD); a held case is never destroyed.</summary>
public sealed class PlaceLegalHoldEndpoint(ISender sender) : CaseCommandEndpoint<PlaceLegalHoldRequest, LegalHoldResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Put("/cases/{id}/legal-hold");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<PlaceLegalHoldRequest, LegalHoldResponse>("Retention", "Place a legal hold on the case (LEGAL-HOLD)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<LegalHoldResponse> ToCommand(PlaceLegalHoldRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new PlaceLegalHoldCommand(caseId, expectedVersion, actor, new PlaceLegalHold(req.Reason!));
}

public sealed record PlaceLegalHoldCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, PlaceLegalHold Command) : CaseCommand<LegalHoldResponse>(CaseId, ExpectedVersion, Actor);

public sealed class PlaceLegalHoldHandler(CaseCommandRunner runner) : CaseCommandHandler<PlaceLegalHoldCommand, LegalHoldResponse>(runner)
{
    protected override Decision Decide(CaseState state, PlaceLegalHoldCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override LegalHoldResponse Respond(PlaceLegalHoldCommand command, CaseState after, long version) => new(command.CaseId, after.LegalHold?.Reason, version);
}
