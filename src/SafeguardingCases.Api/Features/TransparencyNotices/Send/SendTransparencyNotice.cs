using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.TransparencyNotices.Send;

public sealed record SendTransparencyNoticeRequest(Guid? EscalationId, string? Message, string? SentVia);

public sealed record SendTransparencyNoticeResponse(Guid EscalationId, long Version);

public sealed class SendTransparencyNoticeValidator : Validator<SendTransparencyNoticeRequest>
{
    public SendTransparencyNoticeValidator()
    {
        RuleFor(x => x.EscalationId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Message).NotEmpty().MaximumLength(TextLimits.LongText);
        RuleFor(x => x.SentVia).NotEmpty().MaximumLength(TextLimits.Reference);
    }
}

/// <summary>POST /cases/{id}/transparency-notices: what the user was told after an escalation (TRANSPARENCY).</summary>
public sealed class SendTransparencyNoticeEndpoint(ISender sender) : CaseCommandEndpoint<SendTransparencyNoticeRequest, SendTransparencyNoticeResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/transparency-notices");
        Roles(R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Command<SendTransparencyNoticeRequest, SendTransparencyNoticeResponse>("Transparency notices", "Record the transparency notice sent to the user"), clearDefaults: true);
    }

    protected override CaseCommand<SendTransparencyNoticeResponse> ToCommand(SendTransparencyNoticeRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new SendTransparencyNoticeCommand(caseId, expectedVersion, actor, new SendTransparencyNotice(req.EscalationId!.Value, req.Message!, req.SentVia!));
}

public sealed record SendTransparencyNoticeCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, SendTransparencyNotice Command) : CaseCommand<SendTransparencyNoticeResponse>(CaseId, ExpectedVersion, Actor);

public sealed class SendTransparencyNoticeHandler(CaseCommandRunner runner) : CaseCommandHandler<SendTransparencyNoticeCommand, SendTransparencyNoticeResponse>(runner)
{
    protected override Decision Decide(CaseState state, SendTransparencyNoticeCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override SendTransparencyNoticeResponse Respond(SendTransparencyNoticeCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
