using System.Data;
using System.Text.Json;
using FastEndpoints;
using FluentValidation;
using Mediator;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.History.Get;

/// <summary>Paging by version: from <c>fromVersion</c> (default 1), at most <c>limit</c> events; without <c>limit</c>, all of them.</summary>
public sealed class HistoryRequest
{
    public const int MaxLimit = 1000;

    /// <summary>The first version the page holds; none: 1.</summary>
    public long? FromVersion { get; set; }
    /// <summary>How many events the page holds, at most; none: every event from <c>fromVersion</c>.</summary>
    public int? Limit { get; set; }
}

public sealed class HistoryValidator : Validator<HistoryRequest>
{
    public HistoryValidator()
    {
        RuleFor(x => x.FromVersion).GreaterThanOrEqualTo(1);
        RuleFor(x => x.Limit).InclusiveBetween(1, HistoryRequest.MaxLimit);
    }
}

/// <summary>
/// GET /cases/{id}/history: the case's events in order, each with who recorded it, when, and its hash in the
/// tamper-evident chain. Pages by version with <c>fromVersion</c> and <c>limit</c> (<c>nextFromVersion</c> says where
/// the next page starts); without <c>limit</c> the whole history streams, nothing of it buffered or written to disk.
/// </summary>
public sealed class GetHistoryEndpoint(ISender sender) : Endpoint<HistoryRequest, CaseHistory>, ILogsCaseAccessBeforeAnswering
{
    public override void Configure()
    {
        Get("/cases/{id}/history");
        // The case's timeline: auditors and leads, and the officers and clinicians who work the case (the staff
        // console shows it); NEED-TO-KNOW and the access log hold for every one of them.
        Roles(R.Auditor, R.SafeguardingLead, R.SafeguardingOfficer, R.Clinician);
        Description(b => b.Read<CaseHistory>("Audit", "The case's events in order, each with its hash; paged by version"), clearDefaults: true);
    }

    public override async Task HandleAsync(HistoryRequest req, CancellationToken ct)
    {
        var read = await sender.Send(new GetHistoryQuery(this.RouteId("id"), User.ToActor(), req.FromVersion ?? 1, req.Limit), ct);
        await using var history = read.View;
        if (history is null)
        {
            await this.SendCaseReadAsync(read, h => h.Version);
            return;
        }
        if (CaseAccessFeature.Of(HttpContext) is { } access)
        {
            // Logged before the first byte, so the history streams straight from PostgreSQL to the caller.
            access.How = read.How;
            await access.RecordAsync(StatusCodes.Status200OK);
        }
        HttpContext.Response.Headers.ETag = CaseVersion.ToETag(history.Version);
        HttpContext.Response.ContentType = "application/json";
        HttpContext.MarkResponseStart();
        await history.WriteToAsync(HttpContext.Response.Body, ct);
    }
}

/// <summary>One event as an auditor reads it (the shape of the history document); <c>hash</c> is its link in the chain.</summary>
public sealed record HistoryEntry(long Version, long Sequence, string Type, Instant RecordedAt, Actor Actor, string? Hash, object Data);

/// <summary>A case's history, or a page of it; <c>nextFromVersion</c> is null on the last page.</summary>
public sealed record CaseHistory(Guid CaseId, long Version, IReadOnlyList<HistoryEntry> Events, long? NextFromVersion);

public sealed record GetHistoryQuery(Guid CaseId, Actor Reader, long FromVersion, int? Limit) : IRequest<CaseRead<HistoryReader>>;

/// <summary>Opens a read-only snapshot of the case and reads its version; null when there is no such case.</summary>
public sealed class GetHistoryHandler(NpgsqlDataSource db, Marten.IDocumentStore store, Marten.IQuerySession session, IClock clock,
    Infrastructure.Privacy.CaseKeyRing keys)
    : IRequestHandler<GetHistoryQuery, CaseRead<HistoryReader>>
{
    public async ValueTask<CaseRead<HistoryReader>> Handle(GetHistoryQuery request, CancellationToken cancellationToken)
    {
        await MartenSetup.EnsureTablesForRawReadsAsync(store, cancellationToken);
        var (state, basis, refusal) = await CaseReadAccess.LoadAsync(session, keys, request.CaseId, request.Reader, clock.GetCurrentInstant(), cancellationToken);
        if (refusal is not null) return CaseReadAccess.Refused<HistoryReader>(refusal);
        // NEED-TO-KNOW is decided on the case document: without one there is nothing to decide on, so nothing is shown.
        if (state is null) return CaseRead<HistoryReader>.NotFound;
        var reader = await OpenAsync(request, cancellationToken);
        return reader is null ? CaseRead<HistoryReader>.NotFound : new(reader, basis, null);
    }

    private async Task<HistoryReader?> OpenAsync(GetHistoryQuery request, CancellationToken cancellationToken)
    {
        var connection = await db.OpenConnectionAsync(cancellationToken);
        try
        {
            // One snapshot for the version (the ETag) and the events, so the two always agree.
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            await using var command = new NpgsqlCommand($"select max(version) from {MartenSetup.EventsTable} where stream_id = $1", connection, transaction);
            command.Parameters.AddWithValue(request.CaseId);
            if (await command.ExecuteScalarAsync(cancellationToken) is not long version)
            {
                await connection.DisposeAsync();
                return null;
            }
            return new HistoryReader(request.CaseId, version, request.FromVersion, request.Limit, connection, transaction, keys);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}

/// <summary>
/// Streams the history from the events as stored: each event's JSON goes out as PostgreSQL holds it, its sealed
/// personal values opened (PRIVACY-AT-REST), with no buffering of the whole document. PostgreSQL's own jsonb operators
/// pick out each event's actor and time.
/// </summary>
public sealed class HistoryReader(Guid caseId, long version, long fromVersion, int? limit, NpgsqlConnection connection, NpgsqlTransaction transaction,
    Infrastructure.Privacy.CaseKeyRing keys) : IAsyncDisposable
{
    private const int FlushAt = 64 * 1024;

    public long Version => version;

    public async Task WriteToAsync(Stream body, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select version, seq_id, mt_dotnet_type, data::text, headers->>'{EventHashChain.Header}', " +
            $"coalesce(data->'at', 'null')::text, coalesce(data->'by', 'null')::text from {MartenSetup.EventsTable} " +
            "where stream_id = $1 and version >= $2 order by version" + (limit is null ? "" : " limit $3"),
            connection, transaction);
        command.Parameters.AddWithValue(caseId);
        command.Parameters.AddWithValue(fromVersion);
        if (limit is { } l) command.Parameters.AddWithValue(l);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await using var json = new Utf8JsonWriter(body);
        json.WriteStartObject();
        json.WriteString("caseId", caseId);
        json.WriteNumber("version", version);
        json.WriteStartArray("events");
        long last = 0;
        var count = 0;
        while (await reader.ReadAsync(ct))
        {
            last = reader.GetInt64(0);
            count++;
            json.WriteStartObject();
            json.WriteNumber("version", last);
            json.WriteNumber("sequence", reader.GetInt64(1));
            json.WriteString("type", EventHashChain.TypeName(reader.GetString(2)));
            json.WritePropertyName("recordedAt");
            json.WriteRawValue(reader.GetString(5), skipInputValidation: true);
            json.WritePropertyName("actor");
            json.WriteRawValue(reader.GetString(6), skipInputValidation: true);
            json.WriteString("hash", reader.IsDBNull(4) ? null : reader.GetString(4));
            json.WritePropertyName("data");
            // PRIVACY-AT-REST: the event as stored, its sealed values opened for this reader (allowed to read the case).
            json.WriteRawValue(Infrastructure.Privacy.SealedJson.Open(reader.GetString(3), keys), skipInputValidation: true);
            json.WriteEndObject();
            if (json.BytesPending > FlushAt) await json.FlushAsync(ct);
        }
        json.WriteEndArray();
        if (limit is { } pageSize && count == pageSize && last < version) json.WriteNumber("nextFromVersion", last + 1);
        else json.WriteNull("nextFromVersion");
        json.WriteEndObject();
        await json.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
