using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Escalations;

/// <summary>An optional, open-ended range (<c>from</c> inclusive, <c>to</c> exclusive), and cursor paging.</summary>
public sealed class AuditEscalationsRequest : AuditPageRequest;

public sealed class AuditEscalationsValidator : AuditPageValidator<AuditEscalationsRequest>;

/// <summary>
/// GET /audit/escalations: every escalation in the range (any range, open-ended), oldest first, a page at a time, each
/// with its recorded decision and a fresh re-check. A page costs the same at any store size: an indexed keyset read,
/// and each case on the page replayed once.
/// </summary>
public sealed class AuditEscalationsEndpoint(ISender sender) : Endpoint<AuditEscalationsRequest, EscalationAudit>, Infrastructure.Http.ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/escalations");
        Roles(R.Auditor);
        Description(b => b.Read<EscalationAudit>("Audit", "Every escalation with its recorded decision and a re-check under the policy of the time", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(AuditEscalationsRequest req, CancellationToken ct)
    {
        var query = new AuditEscalationsQuery(req.From, req.To, req.Limit ?? 50, req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor));
        var audit = await sender.Send(query, ct);
        // The audit shows each case's decisions: every case on the page is in the access log (ACCESS-LOG).
        Infrastructure.Http.CaseAccessFeature.Of(HttpContext)?.Shown.AddRange(audit.Escalations.Select(i => i.CaseId).Distinct());
        await EndpointResults.SendJsonAsync(HttpContext, audit, StatusCodes.Status200OK);
    }
}

/// <summary>The re-check: what the policy engine says today of the case as it stood just before the escalation.</summary>
public sealed record Recheck(bool Permitted, IReadOnlyList<string> RuleIds, string? Refusal);

/// <summary>
/// One escalation, its recorded decision and the re-check. When the escalation's event is no longer in the case's
/// stream (the store was altered), the fields only the event holds are null and the row is a mismatch.
/// </summary>
public sealed record AuditedEscalation(
    Guid CaseId, Guid EscalationId, long Version, Instant At, Route Route, Agency? Agency, string? PersonId,
    Guid? OverrideId, EscalationDecision? Recorded, Recheck Recheck, bool Mismatch, bool Overridden, Actor? MadeBy);

/// <summary>One page of the audit: its counts are of this page; <c>next</c> is the cursor of the next one, null on the last.</summary>
public sealed record EscalationAudit(Instant? From, Instant? To, int Count, int Mismatches, int Overrides, IReadOnlyList<AuditedEscalation> Escalations, string? Next);

public sealed record AuditEscalationsQuery(Instant? From, Instant? To, int Limit, string? After) : IRequest<EscalationAudit>;

/// <summary>
/// Replays each case to the event before the escalation and asks the policy engine again, with the policy parameters
/// recorded on the escalation (the policy in force then; the configured ones for escalations that predate that
/// record) and the escalation's own time as "now". A refusal now, or other rule IDs, is a mismatch.
/// </summary>
public sealed class AuditEscalationsHandler(IQuerySession session, IOptions<PolicyOptions> policy, Npgsql.NpgsqlDataSource db, IDocumentStore store)
    : IRequestHandler<AuditEscalationsQuery, EscalationAudit>
{
    public async ValueTask<EscalationAudit> Handle(AuditEscalationsQuery request, CancellationToken cancellationToken)
    {
        // A keyset page on the indexed sort key: the same cost on page 1 and page 10,000, whatever the store holds.
        var (where, parameters) = SortKeyPage.Where(request.After, request.From, request.To, request.Limit, ("data ->> 'kind' = ?", nameof(DecisionKind.Escalation)));
        var rows = await session.QueryAsync<DecisionRecord>(where, cancellationToken, parameters);
        var records = rows.Take(request.Limit).ToList();

        var streams = await StreamsAsync([.. records.Select(r => r.CaseId).Distinct()], cancellationToken);
        var audited = new List<AuditedEscalation>(records.Count);
        foreach (var record in records) audited.Add(Audit(streams.GetValueOrDefault(record.CaseId) ?? [], record));
        audited.Sort((a, b) => string.CompareOrdinal(
            Infrastructure.Http.Cursor.Key(a.At, a.EscalationId), Infrastructure.Http.Cursor.Key(b.At, b.EscalationId)));
        var next = rows.Count > request.Limit ? Infrastructure.Http.Cursor.Encode(records[^1].SortKey) : null;
        return new EscalationAudit(request.From, request.To, audited.Count, audited.Count(a => a.Mismatch), audited.Count(a => a.Overridden), audited, next);
    }

    /// <summary>
    /// Every case on the page in one query (each once, however many of its escalations the page holds), each event's
    /// JSON deserialised straight to its type with the store's own serializer: the page costs the same at any size.
    /// </summary>
    private async Task<Dictionary<Guid, List<StoredEvent>>> StreamsAsync(Guid[] caseIds, CancellationToken ct)
    {
        var streams = new Dictionary<Guid, List<StoredEvent>>();
        if (caseIds.Length == 0) return streams;
        var serializer = store.Options.Serializer();
        await using var command = db.CreateCommand(
            $"select stream_id, version, mt_dotnet_type, data from {MartenSetup.EventsTable} where stream_id = any($1) order by stream_id, version");
        command.Parameters.AddWithValue(caseIds);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var id = reader.GetGuid(0);
            if (!streams.TryGetValue(id, out var events)) streams[id] = events = [];
            var data = EventTypes.TryGetValue(reader.GetString(2), out var type) ? serializer.FromJson(type, reader, 3) : null;
            events.Add(new StoredEvent(reader.GetInt64(1), data));
        }
        return streams;
    }

    /// <summary>The case event types by the name Marten stores with each event.</summary>
    private static readonly Dictionary<string, Type> EventTypes =
        MartenSetup.CaseEventTypes.ToDictionary(t => $"{t.FullName}, {t.Assembly.GetName().Name}", StringComparer.Ordinal);

    private sealed record StoredEvent(long Version, object? Data);

    private AuditedEscalation Audit(IReadOnlyList<StoredEvent> events, DecisionRecord record)
    {
        if (events.FirstOrDefault(e => e.Version == record.StreamVersion)?.Data is not EscalationMade made || made.EscalationId != record.Id)
        {
            var missing = new Recheck(false, [], "The escalation's event is no longer in the case's stream; check the case's integrity.");
            return new AuditedEscalation(record.CaseId, record.Id, record.StreamVersion, record.At, record.Route, null, null,
                record.OverrideId, null, missing, Mismatch: true, record.OverrideId is not null, null);
        }

        var before = CaseState.Replay(events.Where(e => e.Version < record.StreamVersion).Select(e => e.Data).OfType<ICaseEvent>())!;
        var request = new EscalationRequest(made.Route, made.Agency, made.PersonId, made.RiskAssessmentId, made.ReliesOn, made.InformationShared, made.OverrideId);
        var check = PolicyEngine.CheckEscalation(before, request, made.Decision.Parameters ?? policy.Value, made.At);
        var recheck = check.Refusal is { } refusal
            ? new Recheck(false, refusal.RuleIds, refusal.Detail)
            : new Recheck(true, check.Decision!.RuleIds, null);
        var mismatch = !recheck.Permitted || !recheck.RuleIds.Order(StringComparer.Ordinal).SequenceEqual(made.Decision.RuleIds.Order(StringComparer.Ordinal));
        return new AuditedEscalation(record.CaseId, made.EscalationId, record.StreamVersion, made.At, made.Route, made.Agency, made.PersonId,
            made.OverrideId, made.Decision, recheck, mismatch, made.OverrideId is not null, made.By);
    }
}
