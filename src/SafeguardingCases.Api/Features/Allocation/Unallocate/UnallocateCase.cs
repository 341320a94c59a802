using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Allocation.Unallocate;

public sealed record UnallocateCaseResponse(Guid Id, long Version);

/// <summary>DELETE /cases/{id}/allocation: the allocated worker (or a lead) unallocates; alerts go to the duty address.</summary>
public sealed class UnallocateCaseEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, UnallocateCaseResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Delete("/cases/{id}/allocation");
        Roles(R.SafeguardingOfficer, R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, UnallocateCaseResponse>("Allocation", "Unallocate the case (its alerts go to the duty address)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<UnallocateCaseResponse> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new UnallocateCaseCommand(caseId, expectedVersion, actor);
}

public sealed record UnallocateCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor) : CaseCommand<UnallocateCaseResponse>(CaseId, ExpectedVersion, Actor);

public sealed class UnallocateCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<UnallocateCaseCommand, UnallocateCaseResponse>(runner)
{
    protected override Decision Decide(CaseState state, UnallocateCaseCommand command, CommandContext context) => CaseDecider.Decide(state, new UnallocateCase(), context);

    protected override UnallocateCaseResponse Respond(UnallocateCaseCommand command, CaseState after, long version) => new(command.CaseId, version);
}
