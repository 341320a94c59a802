using System.Text.Json;
using Mediator;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Features.History.Get;

/// <summary>One event as an auditor reads it (the shape of the history document).</summary>
public sealed record HistoryEntry(long Version, long Sequence, string Type, Instant RecordedAt, Actor Actor, object Data);

/// <summary>A case's whole history (the shape of the history document).</summary>
public sealed record CaseHistory(Guid CaseId, long Version, IReadOnlyList<HistoryEntry> Events);

/// <summary>The history as JSON, written straight from the stored events, and the case version it ends at.</summary>
public sealed record HistoryDocument(long Version, byte[] Json);

public sealed record GetHistoryQuery(Guid CaseId) : IRequest<HistoryDocument?>, ICaseRead;

/// <summary>
/// Writes the history from the events exactly as stored: each event's JSON goes out as PostgreSQL holds it, with no
/// deserialise-and-serialise round trip, so the history shows what the record says and costs little more than reading
/// it. PostgreSQL picks the actor and time out of each event.
/// </summary>
public sealed class GetHistoryHandler(NpgsqlDataSource db) : IRequestHandler<GetHistoryQuery, HistoryDocument?>
{
    public async ValueTask<HistoryDocument?> Handle(GetHistoryQuery request, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(
            $"select version, seq_id, mt_dotnet_type, data ->> 'at', (data -> 'by')::text, data::text from {MartenSetup.EventsTable} where stream_id = $1 order by version");
        command.Parameters.AddWithValue(request.CaseId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        using var buffer = new MemoryStream();
        long version = 0;
        await using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("caseId", request.CaseId);
            json.WriteStartArray("events");
            while (await reader.ReadAsync(cancellationToken))
            {
                version = reader.GetInt64(0);
                json.WriteStartObject();
                json.WriteNumber("version", version);
                json.WriteNumber("sequence", reader.GetInt64(1));
                json.WriteString("type", EventHashChain.TypeName(reader.GetString(2)));
                json.WriteString("recordedAt", reader.GetString(3));
                json.WritePropertyName("actor");
                json.WriteRawValue(reader.GetString(4), skipInputValidation: true);
                json.WritePropertyName("data");
                json.WriteRawValue(reader.GetString(5), skipInputValidation: true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("version", version);
            json.WriteEndObject();
        }
        return version == 0 ? null : new HistoryDocument(version, buffer.ToArray());
    }
}
