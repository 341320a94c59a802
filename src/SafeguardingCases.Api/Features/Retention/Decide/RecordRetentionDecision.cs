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
/// What a retention review decides. Only <c>Keep</c> for now: <c>Destroy</c> (DESTRUCTION-TWO-LEADS) arrives with
/// encryption at rest, since destroying a record is destroying its key (issue 21, still open).
/// </summary>
public enum RetentionDecisionKind { Keep }

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

/// <summary>POST /cases/{id}/retention-decisions: a lead's review of a closed case whose review is due (RETENTION-SCHEDULE).</summary>
public sealed class RecordRetentionDecisionEndpoint(ISender sender) : CaseCommandEndpoint<RetentionDecisionRequest, RetentionDecisionResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/retention-decisions");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<RetentionDecisionRequest, RetentionDecisionResponse>("Retention",
            "Record a retention review's decision on a closed case whose review is due: Keep until a later review (RETENTION-SCHEDULE)"), clearDefaults: true);
    }

    protected override ICaseCommand<RetentionDecisionResponse> ToCommand(RetentionDecisionRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordRetentionDecisionCommand(caseId, expectedVersion, actor, new KeepRecord(Guid.NewGuid(), req.KeepUntil!.Value, req.Reason!));
}

public sealed record RecordRetentionDecisionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, KeepRecord Command) : ICaseCommand<RetentionDecisionResponse>;

public sealed class RecordRetentionDecisionHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordRetentionDecisionCommand, RetentionDecisionResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordRetentionDecisionCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RetentionDecisionResponse Respond(RecordRetentionDecisionCommand command, CaseState after, long version) => new(command.Command.DecisionId, version);
}
