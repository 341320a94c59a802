using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.RiskAssessments.Record;

public sealed record RecordRiskAssessmentCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordRiskAssessment Command) : ICaseCommand<RecordRiskAssessmentResponse>;

public sealed class RecordRiskAssessmentHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordRiskAssessmentCommand, RecordRiskAssessmentResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordRiskAssessmentCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordRiskAssessmentResponse Respond(RecordRiskAssessmentCommand command, CaseState after, long version) => new(command.Command.RiskAssessmentId, version);
}
