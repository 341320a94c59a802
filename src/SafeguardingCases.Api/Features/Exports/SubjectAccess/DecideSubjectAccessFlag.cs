using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Exports.SubjectAccess;

/// <summary>A lead's decision on one flag: <c>Release</c> the entry, or <c>Withhold</c> it with its ground (the exemption relied on).</summary>
public sealed record DecideSubjectAccessFlagRequest(Guid? FlagId, FlagDecision? Decision, string? Ground);

public sealed record SubjectAccessFlagDecision(Guid FlagId, FlagDecision Decision, long Version);

public sealed class DecideSubjectAccessFlagValidator : Validator<DecideSubjectAccessFlagRequest>
{
    public DecideSubjectAccessFlagValidator()
    {
        RuleFor(x => x.FlagId).NotNull();
        RuleFor(x => x.Decision).NotNull();
        RuleFor(x => x.Ground).NotEmpty().When(x => x.Decision == FlagDecision.Withhold).WithMessage("ground is required to withhold an entry.");
        RuleFor(x => x.Ground).MaximumLength(TextLimits.Summary);
    }
}

/// <summary>POST /cases/{id}/subject-access-exports/{exportId}/decisions: a lead decides one flagged entry (until release).</summary>
public sealed class DecideSubjectAccessFlagEndpoint(ISender sender) : CaseCommandEndpoint<DecideSubjectAccessFlagRequest, SubjectAccessFlagDecision>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/subject-access-exports/{exportId}/decisions");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<DecideSubjectAccessFlagRequest, SubjectAccessFlagDecision>("Exports",
            "Decide one flagged entry of a subject access export: release it, or withhold it on a ground"), clearDefaults: true);
    }

    protected override CaseCommand<SubjectAccessFlagDecision> ToCommand(DecideSubjectAccessFlagRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new DecideSubjectAccessFlagCommand(caseId, expectedVersion, actor,
            new DecideSubjectAccessFlag(this.RouteId("exportId"), req.FlagId!.Value, req.Decision!.Value, req.Ground?.Trim() ?? ""));
}

public sealed record DecideSubjectAccessFlagCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, DecideSubjectAccessFlag Command)
    : CaseCommand<SubjectAccessFlagDecision>(CaseId, ExpectedVersion, Actor);

public sealed class DecideSubjectAccessFlagHandler(CaseCommandRunner runner) : CaseCommandHandler<DecideSubjectAccessFlagCommand, SubjectAccessFlagDecision>(runner)
{
    protected override Decision Decide(CaseState state, DecideSubjectAccessFlagCommand command, CommandContext context) =>
        CaseDecider.Decide(state, command.Command, context);

    protected override SubjectAccessFlagDecision Respond(DecideSubjectAccessFlagCommand command, CaseState after, long version) =>
        new(command.Command.FlagId, command.Command.Decision, version);
}
