using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.TransparencyNotices.Withhold;

public sealed record WithholdTransparencyNoticeRequest(Guid? EscalationId, WithholdReason? Reason, string? Detail);

public sealed record WithholdTransparencyNoticeResponse(Guid EscalationId, long Version);

public sealed class WithholdTransparencyNoticeValidator : Validator<WithholdTransparencyNoticeRequest>
{
    public WithholdTransparencyNoticeValidator()
    {
        RuleFor(x => x.EscalationId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.Reason).NotNull().IsInEnum();
        RuleFor(x => x.Detail).NotEmpty().MaximumLength(TextLimits.LongText);
    }
}

/// <summary>POST /cases/{id}/transparency-notices/withheld: a clinician withholds the notice, for a recorded reason (TRANSPARENCY-WITHHELD).</summary>
public sealed class WithholdTransparencyNoticeEndpoint(ISender sender) : CaseCommandEndpoint<WithholdTransparencyNoticeRequest, WithholdTransparencyNoticeResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/transparency-notices/withheld");
        Roles(R.Clinician);
        Description(b => b.Command<WithholdTransparencyNoticeRequest, WithholdTransparencyNoticeResponse>("Transparency notices", "Withhold the transparency notice (clinician only)"), clearDefaults: true);
    }

    protected override CaseCommand<WithholdTransparencyNoticeResponse> ToCommand(WithholdTransparencyNoticeRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new WithholdTransparencyNoticeCommand(caseId, expectedVersion, actor, new WithholdTransparencyNotice(req.EscalationId!.Value, req.Reason!.Value, req.Detail!));
}

public sealed record WithholdTransparencyNoticeCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, WithholdTransparencyNotice Command) : CaseCommand<WithholdTransparencyNoticeResponse>(CaseId, ExpectedVersion, Actor);

public sealed class WithholdTransparencyNoticeHandler(CaseCommandRunner runner) : CaseCommandHandler<WithholdTransparencyNoticeCommand, WithholdTransparencyNoticeResponse>(runner)
{
    protected override Decision Decide(CaseState state, WithholdTransparencyNoticeCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override WithholdTransparencyNoticeResponse Respond(WithholdTransparencyNoticeCommand command, CaseState after, long version) => new(command.Command.EscalationId, version);
}
