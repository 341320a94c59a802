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

namespace SafeguardingCases.Api.Features.RequiredReportDelays.Record;

public sealed record DelayRequiredReportRequest(string? PersonId, Instant? Until, string? Reason);

public sealed record DelayRequiredReportResponse(string PersonId, Instant Until, long Version);

public sealed class DelayRequiredReportValidator : Validator<DelayRequiredReportRequest>
{
    public DelayRequiredReportValidator()
    {
        RuleFor(x => x.PersonId).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Until).NotNull();
        RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.LongText);
    }
}

/// <summary>POST /cases/{id}/required-report-delays: a clinician delays a MANDATORY-CSA report by at most 7 days, with a reason.</summary>
public sealed class DelayRequiredReportEndpoint(ISender sender) : CaseCommandEndpoint<DelayRequiredReportRequest, DelayRequiredReportResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/required-report-delays");
        Roles(R.Clinician);
        Description(b => b.Command<DelayRequiredReportRequest, DelayRequiredReportResponse>("Escalations", "Delay a required report (MANDATORY-CSA, at most 7 days)"), clearDefaults: true);
    }

    protected override CaseCommand<DelayRequiredReportResponse> ToCommand(DelayRequiredReportRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new DelayRequiredReportCommand(caseId, expectedVersion, actor, new DelayRequiredReport(req.PersonId!, req.Until!.Value, req.Reason!));
}

public sealed record DelayRequiredReportCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, DelayRequiredReport Command) : CaseCommand<DelayRequiredReportResponse>(CaseId, ExpectedVersion, Actor);

public sealed class DelayRequiredReportHandler(CaseCommandRunner runner) : CaseCommandHandler<DelayRequiredReportCommand, DelayRequiredReportResponse>(runner)
{
    protected override Decision Decide(CaseState state, DelayRequiredReportCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override DelayRequiredReportResponse Respond(DelayRequiredReportCommand command, CaseState after, long version) => new(command.Command.PersonId, command.Command.Until, version);
}
