using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Overrides.Approve;

public sealed record ApproveOverrideRequest(string? Justification);

/// <summary>The approval, and whether the override is now usable (two different leads have approved it).</summary>
public sealed record ApproveOverrideResponse(Guid OverrideId, long Version, bool Approved);

public sealed class ApproveOverrideValidator : Validator<ApproveOverrideRequest>
{
    public ApproveOverrideValidator() => RuleFor(x => x.Justification).NotEmpty().MaximumLength(TextLimits.LongText);
}

/// <summary>POST /cases/{id}/overrides/{overrideId}/approvals: a lead approves; two different leads make it usable once. The same lead twice: 409.</summary>
public sealed class ApproveOverrideEndpoint(ISender sender) : CaseCommandEndpoint<ApproveOverrideRequest, ApproveOverrideResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/overrides/{overrideId}/approvals");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<ApproveOverrideRequest, ApproveOverrideResponse>("Overrides", "Approve a policy override"), clearDefaults: true);
    }

    protected override CaseCommand<ApproveOverrideResponse> ToCommand(ApproveOverrideRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new ApproveOverrideCommand(caseId, expectedVersion, actor, new ApproveOverride(this.RouteId("overrideId"), req.Justification!));
}

public sealed record ApproveOverrideCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, ApproveOverride Command) : CaseCommand<ApproveOverrideResponse>(CaseId, ExpectedVersion, Actor);

public sealed class ApproveOverrideHandler(CaseCommandRunner runner) : CaseCommandHandler<ApproveOverrideCommand, ApproveOverrideResponse>(runner)
{
    protected override Decision Decide(CaseState state, ApproveOverrideCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override ApproveOverrideResponse Respond(ApproveOverrideCommand command, CaseState after, long version) =>
        new(command.Command.OverrideId, version, after.FindOverride(command.Command.OverrideId)!.IsApproved);
}
