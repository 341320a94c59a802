using Marten;
using Mediator;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Features.Integrity;

/// <summary>Whether the chain holds, how many events the case has, and the first version whose hash does not match.</summary>
public sealed record IntegrityReport(bool Valid, long Events, long? FirstBrokenVersion);

public sealed record VerifyIntegrityQuery(Guid CaseId) : IRequest<IntegrityReport?>, ICaseRead;

/// <summary>
/// Reads the events as PostgreSQL holds them (not through deserialisation, which could hide an added field) and the
/// stored hashes, and recomputes the chain. A changed, missing or extra event breaks it at that version.
/// </summary>
public sealed class VerifyIntegrityHandler(NpgsqlDataSource db, IQuerySession session) : IRequestHandler<VerifyIntegrityQuery, IntegrityReport?>
{
    public async ValueTask<IntegrityReport?> Handle(VerifyIntegrityQuery request, CancellationToken cancellationToken)
    {
        var stored = (await session.Query<EventHash>().Where(h => h.StreamId == request.CaseId).ToListAsync(cancellationToken))
            .ToDictionary(h => h.Version, h => h.Hash);

        await using var command = db.CreateCommand(
            $"select version, mt_dotnet_type, data::text from {MartenSetup.EventsTable} where stream_id = $1 order by version");
        command.Parameters.AddWithValue(request.CaseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        long events = 0;
        long? firstBroken = null;
        var previous = EventHashChain.Genesis;
        while (await reader.ReadAsync(cancellationToken))
        {
            var version = reader.GetInt64(0);
            events++;
            if (firstBroken is not null) continue;
            var expected = EventHashChain.Hash(previous, request.CaseId, version, EventHashChain.TypeName(reader.GetString(1)), reader.GetString(2));
            if (version != events || !stored.TryGetValue(version, out var hash) || hash != expected) firstBroken = Math.Min(version, events);
            previous = expected;
        }

        if (events == 0 && stored.Count == 0) return null;
        // A hash with no event behind it means an event was removed from the end.
        if (firstBroken is null && stored.Keys.Any(v => v > events)) firstBroken = events + 1;
        return new IntegrityReport(firstBroken is null, events, firstBroken);
    }
}
