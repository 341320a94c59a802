using System.ComponentModel.DataAnnotations;
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

namespace SafeguardingCases.Api.Features.Disclosures.Record;

/// <param name="ConsensualPeerActivity">
/// No longer accepted: the MANDATORY-CSA peer exemption is a clinician's judgement, recorded in the risk assessment
/// (<c>peerExemption</c>), never by whoever records the disclosure. Sending it is a validation error, not silently ignored.
/// </param>
public sealed record ConcernInput(
    [property: Required] ConcernCategory? Category, [property: Required] ConcernStatus? Status, [property: Required] string? PersonId, bool? ConsensualPeerActivity = null);

public sealed record RecordDisclosureRequest(Instant? DisclosedAt, Channel? Channel, string? SourceReference, string? Summary, IReadOnlyList<ConcernInput>? Concerns);

public sealed record RecordDisclosureResponse(Guid DisclosureId, long Version);

public sealed class RecordDisclosureValidator : Validator<RecordDisclosureRequest>
{
    public const int MaxConcerns = 30;

    public RecordDisclosureValidator()
    {
        RuleFor(x => x.DisclosedAt).NotNull()
            .Must(at => at is null || at <= Resolve<IClock>().GetCurrentInstant()).WithMessage("disclosedAt is the time of the original post or message; it cannot be in the future.");
        RuleFor(x => x.Channel).NotNull().IsInEnum();
        RuleFor(x => x.SourceReference).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Summary).NotEmpty().MaximumLength(TextLimits.Summary);
        RuleFor(x => x.Concerns).NotNull().Must(c => c is null || c.Count <= MaxConcerns).WithMessage($"At most {MaxConcerns} concerns.");
        RuleForEach(x => x.Concerns).ChildRules(c =>
        {
            c.RuleFor(x => x.Category).NotNull().IsInEnum();
            c.RuleFor(x => x.Status).NotNull().IsInEnum();
            c.RuleFor(x => x.PersonId).NotEmpty().MaximumLength(TextLimits.Reference);
            c.RuleFor(x => x.ConsensualPeerActivity).Null()
                .WithMessage("The peer exemption is recorded by a clinician in the risk assessment (peerExemption), not with the disclosure.");
        });
    }
}

/// <summary>POST /cases/{id}/disclosures: what the user told the service, when, and the concerns it raises.</summary>
public sealed class RecordDisclosureEndpoint(ISender sender) : CaseCommandEndpoint<RecordDisclosureRequest, RecordDisclosureResponse>(sender)
{
    public override void Configure()
    {
        Post("/cases/{id}/disclosures");
        Roles(R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Command<RecordDisclosureRequest, RecordDisclosureResponse>("Disclosures", "Record a disclosure"), clearDefaults: true);
    }

    protected override CaseCommand<RecordDisclosureResponse> ToCommand(RecordDisclosureRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new RecordDisclosureCommand(caseId, expectedVersion, actor, new RecordDisclosure(Guid.NewGuid(), req.DisclosedAt!.Value, req.Channel!.Value,
            req.SourceReference!, req.Summary!,
            [.. req.Concerns!.Select(c => new Concern(c.Category!.Value, c.Status!.Value, c.PersonId!))]));
}

public sealed record RecordDisclosureCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, RecordDisclosure Command) : CaseCommand<RecordDisclosureResponse>(CaseId, ExpectedVersion, Actor);

public sealed class RecordDisclosureHandler(CaseCommandRunner runner) : CaseCommandHandler<RecordDisclosureCommand, RecordDisclosureResponse>(runner)
{
    protected override Decision Decide(CaseState state, RecordDisclosureCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override RecordDisclosureResponse Respond(RecordDisclosureCommand command, CaseState after, long version) => new(command.Command.DisclosureId, version);
}
