using System.ComponentModel.DataAnnotations;
using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.RiskAssessments.Record;

/// <summary>MANDATORY-CSA: the clinician's peer exemption for a person aged 13 to 17, with its reason.</summary>
public sealed record PeerExemptionInput([property: Required] string? Reason);

public sealed record PersonAssessmentInput(
    [property: Required] string? PersonId, [property: Required] ThreatToLife? ThreatToLife,
    [property: Required] IReadOnlyList<ConcernCategory>? CurrentConcerns, [property: Required] Route? RecommendedRoute,
    PeerExemptionInput? PeerExemption = null);

public sealed record RecordRiskAssessmentRequest(IReadOnlyList<PersonAssessmentInput>? Assessments, string? Rationale);

public sealed record RecordRiskAssessmentResponse(Guid RiskAssessmentId, long Version);

public sealed class RecordRiskAssessmentValidator : Validator<RecordRiskAssessmentRequest>
{
    public RecordRiskAssessmentValidator()
    {
        RuleFor(x => x.Assessments).NotEmpty().Must(a => a is null || a.Count <= 20).WithMessage("At most 20 persons per assessment.");
        RuleForEach(x => x.Assessments).ChildRules(a =>
        {
            a.RuleFor(x => x.PersonId).NotEmpty().MaximumLength(TextLimits.Reference);
            a.RuleFor(x => x.ThreatToLife).NotNull().IsInEnum();
            a.RuleFor(x => x.RecommendedRoute).NotNull().IsInEnum();
            a.RuleFor(x => x.CurrentConcerns).NotNull();
            a.RuleForEach(x => x.CurrentConcerns).IsInEnum();
            a.RuleFor(x => x.PeerExemption!.Reason).NotEmpty().MaximumLength(TextLimits.Summary).When(x => x.PeerExemption is not null)
                .OverridePropertyName("peerExemption.reason")
                .WithMessage("A peer exemption records why: no coercion, exploitation or abuse of power.");
        });
        RuleFor(x => x.Rationale).NotEmpty().MaximumLength(TextLimits.LongText);
    }
}

/// <summary>POST /cases/{id}/risk-assessments: a clinician's risk assessment; its time is the server's clock.</summary>
public sealed class RecordRiskAssessmentEndpoint(ISender sender) : CaseCommandEndpoint<RecordRiskAssessmentRequest, RecordRiskAssessmentResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/risk-assessments");
        Roles(R.Clinician);
        Description(b => b.Command<RecordRiskAssessmentRequest, RecordRiskAssessmentResponse>("Risk assessments", "Record a clinician's risk assessment"), clearDefaults: true);
    }

    protected override CaseCommand<RecordRiskAssessmentResponse> ToCommand(RecordRiskAssessmentRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordRiskAssessmentCommand(caseId, expectedVersion, actor, new RecordRiskAssessment(Guid.NewGuid(),
            [.. req.Assessments!.Select(a => new PersonAssessment(a.PersonId!, a.ThreatToLife!.Value, [.. a.CurrentConcerns!.Distinct()], a.RecommendedRoute!.Value,
                a.PeerExemption is { } exemption ? new PeerExemption(exemption.Reason!) : null))],
            req.Rationale!));
}

public sealed record RecordRiskAssessmentCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordRiskAssessment Command) : CaseCommand<RecordRiskAssessmentResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordRiskAssessmentHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordRiskAssessmentCommand, RecordRiskAssessmentResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordRiskAssessmentCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordRiskAssessmentResponse Respond(RecordRiskAssessmentCommand command, CaseState after, long version) => new(command.Command.RiskAssessmentId, version);
}
