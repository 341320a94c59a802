using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Allocation.Allocate;

/// <summary>The member of staff to allocate: their token subject, their name and the email their alerts go to.</summary>
public sealed record AllocateCaseRequest(string? Subject, string? Name, string? Email);

/// <summary>The case's allocated worker after the change, and the case's version.</summary>
public sealed record AllocationResponse(Guid Id, string Subject, string Name, string Email, long Version);

public sealed class AllocateCaseValidator : Validator<AllocateCaseRequest>
{
    public const int MaxEmail = 254;

    public AllocateCaseValidator()
    {
        RuleFor(x => x.Subject).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Name).NotEmpty().MaximumLength(TextLimits.Reference);
        RuleFor(x => x.Email).NotEmpty().MaximumLength(MaxEmail).EmailAddress()
            .Must(e => e is null || System.Net.Mail.MailAddress.TryCreate(e, out var parsed) && parsed.Address == e)
            .WithMessage("email must be one plain address, such as name@example.org.");
    }
}

/// <summary>PUT /cases/{id}/allocation: an officer allocates the case to themselves, a lead to anyone (a case event).</summary>
public sealed class AllocateCaseEndpoint(ISender sender) : CaseCommandEndpoint<AllocateCaseRequest, AllocationResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Put("/cases/{id}/allocation");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead);
        Description(b => b.Command<AllocateCaseRequest, AllocationResponse>("Allocation",
            "Allocate the case to a member of staff, who receives its alerts (officers: themselves; leads: anyone)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<AllocationResponse> ToCommand(AllocateCaseRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new AllocateCaseCommand(caseId, expectedVersion, actor, new AllocateCase(req.Subject!, req.Name!, req.Email!));
}

public sealed record AllocateCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, AllocateCase Command) : CaseCommand<AllocationResponse>(CaseId, ExpectedVersion, Actor);

public sealed class AllocateCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<AllocateCaseCommand, AllocationResponse>(runner)
{
    protected override Decision Decide(CaseState state, AllocateCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override AllocationResponse Respond(AllocateCaseCommand command, CaseState after, long version) =>
        new(command.CaseId, after.Allocation!.Subject, after.Allocation.Name, after.Allocation.Email, version);
}
