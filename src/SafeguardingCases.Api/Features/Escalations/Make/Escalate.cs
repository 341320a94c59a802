using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Infrastructure.Telemetry;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Escalations.Make;

public sealed record EscalateRequest(
    Route? Route,
    Agency? Agency,
    string? PersonId,
    Guid? RiskAssessmentId,
    IReadOnlyList<Guid>? ReliesOn,
    IReadOnlyList<InformationShared>? InformationShared,
    Guid? OverrideId);

/// <summary>The new escalation, with the policy decision it was made under (kept with it for auditors).</summary>
public sealed record EscalateResponse(Guid EscalationId, long Version, EscalationDecision Decision);

public sealed class EscalateValidator : Validator<EscalateRequest>
{
    public EscalateValidator()
    {
        RuleFor(x => x.Route).NotNull().IsInEnum().NotEqual(Route.None).WithMessage("route is Emergency or NonEmergency.");
        RuleFor(x => x.Agency).NotNull().IsInEnum();
        RuleFor(x => x.PersonId).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.RiskAssessmentId).NotNull().NotEqual(Guid.Empty);
        RuleFor(x => x.ReliesOn).NotNull().Must(r => r is null || r.Count <= 50).WithMessage("At most 50 disclosures.");
        RuleFor(x => x.InformationShared).NotNull();
        RuleForEach(x => x.InformationShared).IsInEnum();
    }
}

/// <summary>POST /cases/{id}/escalations: an officer carries out an escalation a clinician decided; the policy checks it.</summary>
public sealed class EscalateEndpoint(ISender sender) : CaseCommandEndpoint<EscalateRequest, EscalateResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/escalations");
        Roles(R.SafeguardingOfficer);
        Description(b => b.Command<EscalateRequest, EscalateResponse>("Escalations", "Escalate (refused with 422 and ruleIds when the policy does not permit it)"), clearDefaults: true);
    }

    protected override CaseCommand<EscalateResponse> ToCommand(EscalateRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new EscalateCommand(caseId, expectedVersion, actor, new Escalate(Guid.NewGuid(), new EscalationRequest(
            req.Route!.Value, req.Agency!.Value, req.PersonId!, req.RiskAssessmentId!.Value, [.. req.ReliesOn!.Distinct()], req.InformationShared!, req.OverrideId)));
}

public sealed record EscalateCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, Escalate Command) : CaseCommand<EscalateResponse>(CaseId, ExpectedVersion, Actor), ICountedCommand
{
    public void Count(SafeguardingMetrics metrics) => metrics.Escalated(Command.Request.Route, Command.Request.Agency);
}

public sealed class EscalateHandler(CaseCommandRunner runner) : CaseCommandHandler<EscalateCommand, EscalateResponse>(runner)
{
    protected override Decision Decide(CaseState state, EscalateCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override EscalateResponse Respond(EscalateCommand command, CaseState after, long version) => new(command.Command.EscalationId, version, after.FindEscalation(command.Command.EscalationId)!.Made.Decision);
}
