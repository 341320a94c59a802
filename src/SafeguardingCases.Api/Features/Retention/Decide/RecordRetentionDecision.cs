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

namespace SafeguardingCases.Api.Features.Retention.Decide;

/// <summary>
/// What a retention review decides: <c>Keep</c> until a later review, or <c>Destroy</c>, which a different lead then
/// approves (DESTRUCTION-TWO-LEADS).
/// </summary>
public enum RetentionDecisionKind { Keep, Destroy }

public sealed record RetentionDecisionRequest(RetentionDecisionKind? Decision, Instant? KeepUntil, string? Reason);

public sealed record RetentionDecisionResponse(Guid DecisionId, long Version);

public sealed class RetentionDecisionValidator : Validator<RetentionDecisionRequest>
{
    public RetentionDecisionValidator()
    {
        RuleFor(x => x.Decision).NotNull().IsInEnum();
        RuleFor(x => x.KeepUntil).NotNull().When(x => x.Decision == RetentionDecisionKind.Keep);
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
    }
}

/// <summary>
/// POST /cases/{id}/retention-decisions: a lead's review of a closed case whose review is due (RETENTION-SCHEDULE):
/// keep it until a later review, or ask for it to be destroyed (DESTRUCTION-TWO-LEADS: a different lead approves).
/// </summary>
public sealed class RecordRetentionDecisionEndpoint(ISender sender) : CaseCommandEndpoint<RetentionDecisionRequest, RetentionDecisionResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/retention-decisions");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<RetentionDecisionRequest, RetentionDecisionResponse>("Retention",
            "Record a retention review's decision on a closed case whose review is due: Keep until a later review (RETENTION-SCHEDULE), " +
            "or Destroy, which a different lead approves (DESTRUCTION-TWO-LEADS; refused while a legal hold stands)"), clearDefaults: true);
    }

    protected override CaseCommand<RetentionDecisionResponse> ToCommand(RetentionDecisionRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordRetentionDecisionCommand(caseId, expectedVersion, actor, Guid.NewGuid(), req.Decision!.Value, req.KeepUntil, req.Reason!);
}

public sealed record RecordRetentionDecisionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, Guid DecisionId, RetentionDecisionKind Decision,
    Instant? KeepUntil, string Reason) : CaseCommand<RetentionDecisionResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordRetentionDecisionHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordRetentionDecisionCommand, RetentionDecisionResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordRetentionDecisionCommand command, CommandContext context) => command.Decision switch
    {
        RetentionDecisionKind.Keep => CaseDecider.Decide(state, new KeepRecord(command.DecisionId, command.KeepUntil!.Value, command.Reason), context),
        _ => CaseDecider.Decide(state, new RequestDestruction(command.DecisionId, command.Reason), context),
    };

    protected override RetentionDecisionResponse Respond(RecordRetentionDecisionCommand command, CaseState after, long version) => new(command.DecisionId, version);
}
