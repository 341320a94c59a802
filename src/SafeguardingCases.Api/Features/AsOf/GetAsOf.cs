using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Features.Cases;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.AsOf;

/// <summary>Either <c>version</c> (1..current) or <c>at</c> (an instant), not both.</summary>
public sealed class AsOfRequest
{
    /// <summary>The case as it stood after this version (1 to the current one); or give <c>at</c>.</summary>
    public long? Version { get; set; }
    /// <summary>The case as it stood at this instant; or give <c>version</c>.</summary>
    public Instant? At { get; set; }
}

public sealed class AsOfValidator : Validator<AsOfRequest>
{
    public AsOfValidator()
    {
        RuleFor(x => x).Must(x => x.Version is null != x.At is null).OverridePropertyName("version").WithMessage("Give version or at, not both.");
        RuleFor(x => x.Version).GreaterThanOrEqualTo(1);
    }
}

/// <summary>GET /cases/{id}/as-of?version=N or ?at=instant: the case as it stood then; 404 before it began or past its end.</summary>
public sealed class GetAsOfEndpoint(ISender sender) : Endpoint<AsOfRequest, CaseView>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/cases/{id}/as-of");
        Roles(R.Auditor, R.SafeguardingLead);
        Description(b => b.Read<CaseView>("Audit", "The case as it stood at a version or an instant"), clearDefaults: true);
    }

    public override async Task HandleAsync(AsOfRequest req, CancellationToken ct)
    {
        var read = await sender.Send(new GetAsOfQuery(this.RouteId("id"), User.ToActor(), req.Version, req.At), ct);
        await this.SendCaseReadAsync(read, view => view.Version);
    }
}

public sealed record GetAsOfQuery(Guid CaseId, Actor Reader, long? Version, Instant? At) : IRequest<CaseRead<CaseView>>;

/// <summary>
/// Replays the case's events up to the version or instant with the domain's own evolve function. At the current
/// version (or any instant after the last event) the inline projection already is that state, written in the same
/// transaction as the events, so it is read instead of replaying the whole stream.
/// </summary>
public sealed class GetAsOfHandler(IQuerySession session, IOptions<PolicyOptions> policy, IClock clock, Infrastructure.Privacy.CaseKeyRing keys) : IRequestHandler<GetAsOfQuery, CaseRead<CaseView>>
{
    public async ValueTask<CaseRead<CaseView>> Handle(GetAsOfQuery request, CancellationToken cancellationToken)
    {
        // The restriction in force now decides, whatever the case looked like then.
        var (current, basis, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Reader, clock.GetCurrentInstant(), cancellationToken);
        if (refusal is not null) return CaseReadAccess.Refused<CaseView>(refusal);
        var view = await ViewAsync(request, current, cancellationToken);
        return view is null ? CaseRead<CaseView>.NotFound : new(view, basis, null);
    }

    private async Task<CaseView?> ViewAsync(GetAsOfQuery request, CaseState? current, CancellationToken cancellationToken)
    {
        if (current is null) return null;

        CaseState? state;
        if (request.Version is { } version)
        {
            if (version > current.Version || version < 1) return null;
            state = version == current.Version ? current : await ReplayAsync(request.CaseId, version, null, cancellationToken);
        }
        else
        {
            var at = request.At!.Value;
            if (at < current.OpenedAt) return null;
            state = at >= current.LastChangedAt ? current : await ReplayAsync(request.CaseId, null, at, cancellationToken);
        }
        // Classified as the case stood then: at the instant asked for, or at the last change of that version.
        return state is null ? null : CaseView.From(state, policy.Value, request.At is { } asked && asked > state.LastChangedAt ? asked : state.LastChangedAt);
    }

    private async Task<CaseState?> ReplayAsync(Guid caseId, long? version, Instant? at, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(caseId, version ?? 0, token: ct);
        return CaseState.Replay(events.Select(e => e.Data).OfType<ICaseEvent>().TakeWhile(e => at is not { } instant || e.At <= instant));
    }
}
