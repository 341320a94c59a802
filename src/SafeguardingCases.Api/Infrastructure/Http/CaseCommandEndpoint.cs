using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>
/// A thin endpoint for a command on an existing case: reads <c>{id}</c> and <c>If-Match</c>, sends one Mediator
/// command, and maps the result (ETag, or problem details with rule IDs). A feature supplies only the route, roles
/// and <see cref="ToCommand"/>. A refusal on a restricted case is access-logged before it is answered.
/// </summary>
public abstract class CaseCommandEndpoint<TRequest, TResponse>(ISender sender) : Endpoint<TRequest, TResponse>, ILogsCaseAccessBeforeAnswering
    where TRequest : notnull
{
    /// <summary>The status of a successful answer: 201 for something recorded, 200 for a change of state.</summary>
    protected virtual int SuccessStatus => StatusCodes.Status201Created;

    protected abstract CaseCommand<TResponse> ToCommand(TRequest request, Guid caseId, long? expectedVersion, Actor actor);

    public override async Task HandleAsync(TRequest req, CancellationToken ct)
    {
        var (ok, expected) = await this.ReadIfMatchAsync();
        if (!ok) return;
        var command = ToCommand(req, this.RouteId("id"), expected, User.ToActor()) with { Remembering = Remembering.For(HttpContext, SuccessStatus) };
        var result = await sender.Send(command, ct);
        await this.SendCaseResultAsync(result, SuccessStatus);
    }
}
