using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Retention.LegalHold;

/// <summary>DELETE /cases/{id}/legal-hold: a lead releases the hold (LEGAL-HOLD).</summary>
public sealed class ReleaseLegalHoldEndpoint(ISender sender) : CaseCommandEndpoint<EmptyRequest, LegalHoldResponse>(sender)
{
    protected override int SuccessStatus => StatusCodes.Status200OK;

    public override void Configure()
    {
        Delete("/cases/{id}/legal-hold");
        Roles(R.SafeguardingLead);
        Description(b => b.Command<EmptyRequest, LegalHoldResponse>("Retention", "Release the case's legal hold (LEGAL-HOLD)", status: 200), clearDefaults: true);
    }

    protected override CaseCommand<LegalHoldResponse> ToCommand(EmptyRequest req, Guid caseId, long? expectedVersion, Actor actor) =>
        new ReleaseLegalHoldCommand(caseId, expectedVersion, actor);
}

public sealed record ReleaseLegalHoldCommand(Guid CaseId, long? ExpectedVersion, Actor Actor) : CaseCommand<LegalHoldResponse>(CaseId, ExpectedVersion, Actor);

public sealed class ReleaseLegalHoldHandler(CaseCommandRunner runner) : CaseCommandHandler<ReleaseLegalHoldCommand, LegalHoldResponse>(runner)
{
    protected override Decision Decide(CaseState state, ReleaseLegalHoldCommand command, CommandContext context) => CaseDecider.Decide(state, new ReleaseLegalHold(), context);

    protected override LegalHoldResponse Respond(ReleaseLegalHoldCommand command, CaseState after, long version) => new(command.CaseId, null, version);
}
