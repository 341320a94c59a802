using System.Data;
using Mediator;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Integrity;

/// <summary>GET /cases/{id}/integrity: recompute the case's hash chain from the stored events.</summary>
public sealed class VerifyIntegrityEndpoint(ISender sender) : CaseReadEndpoint<IntegrityReport>(sender)
{
    public override void Configure()
    {
        Get("/cases/{id}/integrity");
        Roles(R.Auditor);
        Description(b => b.Read<IntegrityReport>("Audit", "Verify the case's tamper-evident hash chain"), clearDefaults: true);
    }

    protected override IRequest<CaseRead<IntegrityReport>> Query(Guid caseId, Domain.Cases.Actor reader) => new VerifyIntegrityQuery(caseId);

    protected override long VersionOf(IntegrityReport view) => view.Events;
}

/// <summary>Whether the chain holds, how many events the case has, and the first version whose hash does not match.</summary>
public sealed record IntegrityReport(bool Valid, long Events, long? FirstBrokenVersion);

/// <summary>
/// Not restricted by NEED-TO-KNOW: the answer carries no case details (a yes or no, a count, a version), and auditors
/// must be able to check that a restricted case has not been tampered with. It is in the access log all the same.
/// </summary>
public sealed record VerifyIntegrityQuery(Guid CaseId) : IRequest<CaseRead<IntegrityReport>>;

/// <summary>
/// Reads the events as PostgreSQL holds them (not through deserialisation, which could hide an added field), each with
/// the hash stored in its own row, and recomputes the chain; then compares the end of the chain with the stream's
/// version and the chain head kept with the case state. A changed, missing or extra event breaks it at that version.
/// Everything is read in one repeatable-read snapshot, so a write landing meanwhile can never look like tampering.
/// </summary>
public sealed class VerifyIntegrityHandler(NpgsqlDataSource db, Marten.IDocumentStore store) : IRequestHandler<VerifyIntegrityQuery, CaseRead<IntegrityReport>>
{
    public async ValueTask<CaseRead<IntegrityReport>> Handle(VerifyIntegrityQuery request, CancellationToken cancellationToken)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, cancellationToken);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

        await using var head = new NpgsqlCommand(
            $"select s.version, d.data->>'chainHead' from {MartenSetup.StreamsTable} s " +
            $"left join {MartenSetup.CaseStreamTable} d on d.id = s.id where s.id = $1", connection, transaction);
        head.Parameters.AddWithValue(request.CaseId);
        long? streamVersion = null;
        string? chainHead = null;
        await using (var reader = await head.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                streamVersion = reader.GetInt64(0);
                chainHead = reader.IsDBNull(1) ? null : reader.GetString(1);
            }
        }

        long events = 0;
        long? firstBroken = null;
        var previous = EventHashChain.Genesis;
        await foreach (var link in EventHashChain.WalkStoredAsync(connection, transaction, "stream_id = $1", [request.CaseId], cancellationToken))
        {
            events++;
            if (firstBroken is not null) continue;
            if (link.Version != events || !link.Holds) firstBroken = Math.Min(link.Version, events);
            previous = link.Recomputed;
        }

        if (events == 0 && streamVersion is null) return CaseRead<IntegrityReport>.NotFound;
        // The stream says it has more events than are there, or the state was built on a chain that ended elsewhere:
        // events were removed from the end.
        if (firstBroken is null && (streamVersion != events || chainHead != previous)) firstBroken = events + 1;
        return new(new IntegrityReport(firstBroken is null, events, firstBroken), null, null);
    }
}
