using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.History.Get;

/// <summary>One event as an auditor reads it.</summary>
public sealed record HistoryEntry(long Version, long Sequence, string Type, Instant RecordedAt, Actor Actor, object Data);

/// <summary>A case's whole history.</summary>
public sealed record CaseHistory(Guid CaseId, long Version, IReadOnlyList<HistoryEntry> Events);

public sealed record GetHistoryQuery(Guid CaseId) : IRequest<CaseHistory?>;

public sealed class GetHistoryHandler(IQuerySession session) : IRequestHandler<GetHistoryQuery, CaseHistory?>
{
    public async ValueTask<CaseHistory?> Handle(GetHistoryQuery request, CancellationToken cancellationToken)
    {
        var events = await session.Events.FetchStreamAsync(request.CaseId, token: cancellationToken);
        if (events.Count == 0) return null;
        var entries = events
            .Where(e => e.Data is ICaseEvent)
            .Select(e =>
            {
                var data = (ICaseEvent)e.Data;
                return new HistoryEntry(e.Version, e.Sequence, e.Data.GetType().Name, data.At, data.By, e.Data);
            })
            .ToList();
        return new CaseHistory(request.CaseId, events[^1].Version, entries);
    }
}
