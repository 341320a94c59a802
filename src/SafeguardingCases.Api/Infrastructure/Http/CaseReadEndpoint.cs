using FastEndpoints;
using Mediator;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>
/// A thin endpoint for a read about one case: reads <c>{id}</c>, sends one Mediator query, and answers the view
/// with its ETag, or 404. A feature supplies only the route, roles, <see cref="Query"/> and <see cref="VersionOf"/>.
/// </summary>
public abstract class CaseReadEndpoint<TView>(ISender sender) : EndpointWithoutRequest<TView>
    where TView : class
{
    protected abstract IRequest<TView?> Query(Guid caseId);

    /// <summary>The case version the view shows, for the ETag.</summary>
    protected abstract long VersionOf(TView view);

    public override async Task HandleAsync(CancellationToken ct)
    {
        var view = await sender.Send(Query(Route<Guid>("id")), ct);
        await this.SendCaseReadAsync(view, view is null ? 0 : VersionOf(view));
    }
}
