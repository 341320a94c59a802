using FastEndpoints;
using Mediator;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>
/// A thin endpoint for a read about one case: reads <c>{id}</c>, sends one Mediator query on behalf of the caller,
/// and answers the view with its ETag, 403 when the case is restricted (NEED-TO-KNOW), or 404. Every answer is in
/// the access log. A feature supplies only the route, roles, <see cref="Query"/> and <see cref="VersionOf"/>.
/// </summary>
public abstract class CaseReadEndpoint<TView>(ISender sender) : EndpointWithoutRequest<TView>, ILogsCaseAccess
    where TView : class
{
    protected abstract IRequest<CaseRead<TView>> Query(Guid caseId, Actor reader);

    /// <summary>The case version the view shows, for the ETag.</summary>
    protected abstract long VersionOf(TView view);

    public override async Task HandleAsync(CancellationToken ct)
    {
        var read = await sender.Send(Query(this.RouteId("id"), User.ToActor()), ct);
        await this.SendCaseReadAsync(read, VersionOf);
    }
}
