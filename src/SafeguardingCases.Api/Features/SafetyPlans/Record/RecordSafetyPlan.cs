using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.SafetyPlans.Record;

public sealed record RecordSafetyPlanRequest(SafetyPlanOutcome? Outcome, string? Reason);

public sealed record RecordSafetyPlanResponse(Guid SafetyPlanId, long Version);

public sealed class RecordSafetyPlanValidator : Validator<RecordSafetyPlanRequest>
{
    public RecordSafetyPlanValidator()
    {
        RuleFor(x => x.Outcome).NotNull().IsInEnum();
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
    }
}

/// <summary>POST /cases/{id}/safety-plans: a safety-plan attempt (SAFETY-PLAN-FIRST).</summary>
public sealed class RecordSafetyPlanEndpoint(ISender sender) : CaseCommandEndpoint<RecordSafetyPlanRequest, RecordSafetyPlanResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/safety-plans");
        Roles(R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Command<RecordSafetyPlanRequest, RecordSafetyPlanResponse>("Safety plans", "Record a safety-plan attempt"), clearDefaults: true);
    }

    protected override CaseCommand<RecordSafetyPlanResponse> ToCommand(RecordSafetyPlanRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordSafetyPlanCommand(caseId, expectedVersion, actor, new RecordSafetyPlanAttempt(Guid.NewGuid(), req.Outcome!.Value, req.Reason!));
}

public sealed record RecordSafetyPlanCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordSafetyPlanAttempt Command) : CaseCommand<RecordSafetyPlanResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordSafetyPlanHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordSafetyPlanCommand, RecordSafetyPlanResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordSafetyPlanCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordSafetyPlanResponse Respond(RecordSafetyPlanCommand command, CaseState after, long version) => new(command.Command.SafetyPlanId, version);
}
