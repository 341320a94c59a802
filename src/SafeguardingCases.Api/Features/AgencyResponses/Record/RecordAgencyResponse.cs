using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.AgencyResponses.Record;

public sealed record RecordAgencyResponseRequest(Guid? EscalationId, string? Summary);

public sealed record RecordAgencyResponseResponse(Guid EscalationId, long Version);

public sealed class RecordAgencyResponseValidator : Validator<RecordAgencyResponseRequest>
{
    public RecordAgencyResponseValidator()
    {
        RuleFor(x => x.EscalationId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Summary).NotEmpty().MaximumLength(TextLimits.LongText);
    }
}

/// <summary>POST /cases/{id}/agency-responses: what an agency said it did (AGENCY-FEEDBACK).</summary>
public sealed class RecordAgencyResponseEndpoint(ISender sender) : CaseCommandEndpoint<RecordAgencyResponseRequest, RecordAgencyResponseResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/agency-responses");
        Roles(R.SafeguardingOfficer);
        Description(b => b.Command<RecordAgencyResponseRequest, RecordAgencyResponseResponse>("Escalations", "Record an agency's response"), clearDefaults: true);
    }

    protected override CaseCommand<RecordAgencyResponseResponse> ToCommand(RecordAgencyResponseRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordAgencyResponseCommand(caseId, expectedVersion, actor, new RecordAgencyResponse(req.EscalationId!.Value, req.Summary!));
}

public sealed record RecordAgencyResponseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordAgencyResponse Command) : CaseCommand<RecordAgencyResponseResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordAgencyResponseHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordAgencyResponseCommand, RecordAgencyResponseResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordAgencyResponseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordAgencyResponseResponse Respond(RecordAgencyResponseCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
