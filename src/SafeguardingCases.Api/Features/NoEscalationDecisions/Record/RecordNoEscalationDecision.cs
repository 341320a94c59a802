using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.NoEscalationDecisions.Record;

public sealed record RecordNoEscalationDecisionRequest(string? Reason);

public sealed record RecordNoEscalationDecisionResponse(Guid DecisionId, long Version);

public sealed class RecordNoEscalationDecisionValidator : Validator<RecordNoEscalationDecisionRequest>
{
    public RecordNoEscalationDecisionValidator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.LongText);
}

/// <summary>POST /cases/{id}/no-escalation-decisions: a clinician's decision not to escalate, with its reasons (RECORD-NO-ESCALATION).</summary>
public sealed class RecordNoEscalationDecisionEndpoint(ISender sender) : CaseCommandEndpoint<RecordNoEscalationDecisionRequest, RecordNoEscalationDecisionResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/no-escalation-decisions");
        Roles(R.Clinician);
        Description(b => b.Command<RecordNoEscalationDecisionRequest, RecordNoEscalationDecisionResponse>("Escalations", "Record a decision not to escalate"), clearDefaults: true);
    }

    protected override CaseCommand<RecordNoEscalationDecisionResponse> ToCommand(RecordNoEscalationDecisionRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordNoEscalationDecisionCommand(caseId, expectedVersion, actor, new RecordNoEscalationDecision(Guid.NewGuid(), req.Reason!));
}

public sealed record RecordNoEscalationDecisionCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordNoEscalationDecision Command) : CaseCommand<RecordNoEscalationDecisionResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordNoEscalationDecisionHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordNoEscalationDecisionCommand, RecordNoEscalationDecisionResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordNoEscalationDecisionCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordNoEscalationDecisionResponse Respond(RecordNoEscalationDecisionCommand command, CaseState after, long version) => new(command.Command.DecisionId, version);
}
