using FastEndpoints;
using FluentValidation;
using Mediator;
using SafeguardingCases.Api.Features.Shared;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Cases.Close;

/// <summary>The body of close and reopen.</summary>
public sealed record CaseStatusRequest(string? Reason);

public sealed record CaseStatusResponse(Guid Id, CaseStatus Status, long Version);

public sealed class CaseStatusValidator : Validator<CaseStatusRequest>
{
    public CaseStatusValidator() => RuleFor(x => x.Reason).NotEmpty().MaximumLength(TextLimits.Summary);
}

/// <summary>POST /cases/{id}/close: refused with 422 CLOSE-OBLIGATIONS while a notice or a required report is owed.</summary>
public sealed class CloseCaseEndpoint(ISender sender) : CaseCommandEndpoint<CaseStatusRequest, CaseStatusResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Post("/cases/{id}/close");
        Roles(R.SafeguardingOfficer);
        Description(b => b.Command<CaseStatusRequest, CaseStatusResponse>("Cases", "Close a case", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<CaseStatusResponse> ToCommand(CaseStatusRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new CloseCaseCommand(caseId, expectedVersion, actor, new CloseCase(req.Reason!));
}

public sealed record CloseCaseCommand(Guid CaseId, long? ExpectedVersion, Actor Actor, CloseCase Command) : CaseCommand<CaseStatusResponse>(CaseId, ExpectedVersion, Actor);

public sealed class CloseCaseHandler(CaseCommandRunner runner) : CaseCommandHandler<CloseCaseCommand, CaseStatusResponse>(runner)
{
    protected override Decision Decide(CaseState state, CloseCaseCommand command, CommandContext context) => CaseDecider.Decide(state, command.Command, context);

    protected override CaseStatusResponse Respond(CloseCaseCommand command, CaseState after, long version) => new(command.CaseId, CaseStatus.Closed, version);
}
