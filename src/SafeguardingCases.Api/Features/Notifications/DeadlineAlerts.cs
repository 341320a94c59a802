using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Infrastructure.Telemetry;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Notifications;

/// <summary>
/// Raises the alerts deadlines call for, every <c>Notifications__SweepInterval</c>: for each outstanding obligation of
/// every kind the queues show, one alert when it is due within <c>Notifications__DueSoon</c> and one when it is
/// overdue, to the case's allocated worker (else the duty officers and <c>Notifications__DutyAddress</c>); and for an
/// overdue alert nobody acknowledged within <c>Notifications__EscalateAfter</c>, one to the leads and
/// <c>Notifications__EscalateTo</c>, once. The obligations are the policy's own (<see cref="PolicyEngine.Obligations"/>)
/// on the case as stored, so a discharged obligation raises nothing and stops its ladder.
/// <para>
/// Exactly once per alert, across restarts and instances: an alert's id is its obligation and threshold, and it is
/// inserted (never upserted) in one transaction with its emails, so a second sweep, a sweep after a crash or another
/// instance's sweep finds it there or fails to insert it again. Why a sweep and not Marten's async daemon: alerts
/// follow the clock (an obligation becomes overdue with no event at all), so something has to look at deadlines as
/// time passes; the case list's indexed due columns make that one index range read.
/// </para>
/// </summary>
public sealed class DeadlineAlerts(IDocumentStore store, IClock clock, NotificationOptions options, IOptions<PolicyOptions> policy,
    Webhooks.CaseEventFeed feed, Infrastructure.Privacy.CaseKeyRing keys, SafeguardingMetrics metrics, ILogger<DeadlineAlerts> logger)
    : BackgroundService
{
    /// <summary>At most this many reads of <see cref="NotificationOptions.ReadSize"/> cases a sweep; the next sweep takes the rest.</summary>
    public const int ReadsPerSweep = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.SweepInterval.ToTimeSpan());
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not look at deadlines ({Error}); will try again next interval", e.GetType().Name);
            }
        }
    }

    /// <summary>One sweep; returns how many alerts it raised.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var raised = 0;
        var basis = DeadlineLook.BasisOf(options, policy.Value);
        for (var read = 0; read < ReadsPerSweep; read++)
        {
            await using var reading = store.QuerySession();
            var ids = await ToLookAtAsync(reading, now, basis, ct);
            var looked = new List<DeadlineLook>(ids.Count);
            var loaded = await LoadAsync(reading, ids, ct);
            var readdressed = await FollowAllocationAsync(reading, [.. loaded.Select(c => c.State).OfType<CaseState>()], ct);
            foreach (var (id, state) in loaded)
            {
                try
                {
                    // Unreadable (its key or its document): the others' deadlines go on; it is tried again in an hour.
                    if (state is null) throw new InvalidDataException("The case could not be read.");
                    var obligations = PolicyEngine.Obligations(state, policy.Value);
                    foreach (var obligation in obligations.Where(o => o.DueBy <= now + options.DueSoon))
                    {
                        // First seen already overdue: only the overdue alert ("due soon" would be news from the past).
                        var kind = obligation.DueBy <= now ? AlertKind.Overdue : AlertKind.DueSoon;
                        if (await RaiseAsync(state, obligation, kind, now, ct)) raised++;
                    }
                    looked.Add(DeadlineLook.After(state, obligations, now, options.DueSoon, basis));
                }
                catch (Exception e) when (e is not OperationCanceledException && !DatabaseFailures.IsTransient(e))
                {
                    logger.LogWarning("Could not look at a case's deadlines ({Error}); it is tried again in an hour or when it changes", e.GetType().Name);
                    var version = (await reading.Events.FetchStreamStateAsync(id, ct))?.Version ?? 0;
                    looked.Add(DeadlineLook.Failed(id, version, now, basis));
                }
            }
            await using (var session = store.LightweightSession())
            {
                session.Store<DeadlineLook>(looked);
                // Only an alert still unacknowledged is moved: one acknowledged meanwhile stays as it was acknowledged.
                foreach (var (alertId, to, toRole) in readdressed)
                {
                    object subject = (object?)to ?? DBNull.Value, role = (object?)toRole ?? DBNull.Value;
                    session.QueueSqlCommand(
                        $"update {store.Options.Schema.For<Alert>()} set data = data || jsonb_build_object('recipientSubject', ?::text, 'recipientRole', ?::text), " +
                        $"recipient_subject = ?, recipient_role = ? where id = ? and {Inbox.VisibleAlerts.Unacknowledged}",
                        subject, role, subject, role, alertId);
                }
                await session.SaveChangesAsync(ct);
            }
            if (ids.Count < options.ReadSize) break;
        }

        // The ladder: overdue alerts nobody acknowledged in time, whose obligation is still outstanding (each is settled
        // once looked at, so the next read takes the next ones).
        var before = (now - options.EscalateAfter).ToUnixTimeMilliseconds();
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var query = store.QuerySession();
        var waiting = await query.QueryAsync<Alert>(
            $"where {Alert.LadderWaiting} and d.raised_at_unix_ms <= ? " +
            "and coalesce((d.data ->> 'ladderRetryAtUnixMs')::bigint, 0) <= ? " +
            $"order by d.raised_at_unix_ms limit {options.ReadSize}", ct, before, nowMs);
        foreach (var overdue in waiting)
        {
            try
            {
                var state = (await query.LoadAsync<CaseStream>(overdue.CaseId, ct))?.State;
                var obligation = state is null ? null : PolicyEngine.Obligations(state, policy.Value)
                    .FirstOrDefault(o => Alert.KeyOf(state.Id, o, AlertKind.Overdue) == overdue.Id);
                if (obligation is not null && await RaiseAsync(state!, obligation, AlertKind.Escalated, now, ct, overdue)) raised++;
                else if (obligation is null) await MarkAsync(overdue, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException && !DatabaseFailures.IsTransient(e))
            {
                // As above: one case that cannot be read keeps only its own ladder waiting, and leaves the reads to the others.
                logger.LogWarning("Could not take an overdue alert up the ladder ({Error}); it is tried again in an hour", e.GetType().Name);
                await using var session = store.LightweightSession();
                Patch(session, overdue.Id, $$"""{"ladderRetryAtUnixMs": {{(now + Duration.FromHours(1)).ToUnixTimeMilliseconds()}}}""");
                await session.SaveChangesAsync(ct);
            }
        }

        // The case events other systems subscribe to by webhook (escalations made, cases closed).
        await feed.QueueNewAsync(now, ct);
        return raised;
    }

    /// <summary>
    /// The cases owing something due by now + <c>DueSoon</c> (the indexed due columns), the most urgent first, but not
    /// those the sweep has looked at since they last changed whose next threshold is still to come: otherwise a backlog
    /// of cases alerted already but still owing (overdue and not yet dealt with) would fill every read, and a case
    /// becoming due behind them would never be alerted. (Outer joins on the two keys, not "not exists": PostgreSQL cannot
    /// estimate the look's JSON conditions, and planned that as an anti-join comparing every case with every look.)
    /// </summary>
    private async Task<IReadOnlyList<Guid>> ToLookAtAsync(IQuerySession query, Instant now, string basis, CancellationToken ct)
    {
        var types = Enum.GetValues<ObligationType>();
        var due = types.Select(t => $"d.{CaseSummary.DueColumn(t)}").ToList();
        var looks = store.Options.Schema.For<DeadlineLook>();
        // A raw read: on a database where nothing has written them yet, Marten would not create these tables for it.
        await MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(DeadlineLook), ct);
        return await query.QueryAsync<Guid>(
            $"""
            select d.id from {MartenSetup.CaseSummaryTable} d
            left join {looks} l on l.id = d.id
            left join {MartenSetup.StreamsTable} s on s.id = d.id
            where ({string.Join(" or ", due.Select(c => $"{c} <= ?"))})
              and (l.id is null or {DeadlineLook.Column(nameof(DeadlineLook.CaseVersion))}::bigint <> s.version
                   or {DeadlineLook.Column(nameof(DeadlineLook.NextLookAtUnixMs))}::bigint <= ?
                   or {DeadlineLook.Column(nameof(DeadlineLook.Basis))} <> ?)
            order by least({string.Join(", ", due)}), d.id limit ?
            """,
            ct, [.. types.Select(_ => (object)(now + options.DueSoon).ToUnixTimeMilliseconds()), now.ToUnixTimeMilliseconds(), basis, options.ReadSize]);
    }

    /// <summary>
    /// A case's alerts follow its allocation: the unacknowledged "due soon" and "overdue" alerts of each case read here
    /// (every case the sweep reads changed since it was last read, or owes something due) are readdressed to the worker
    /// it is allocated to now, or, unallocated now, to the duty officers; so a case reallocated while its worker is away
    /// brings what it still owes to the new worker's inbox, and leaves the old one's. Acknowledged alerts stay with who
    /// dealt with them; the ladder's stay with the leads; nothing is emailed again. Which alerts move, and to whom, to be
    /// saved with the sweep's looks.
    /// </summary>
    private static async Task<List<(string AlertId, string? Subject, string? Role)>> FollowAllocationAsync(IQuerySession query,
        IReadOnlyList<CaseState> cases, CancellationToken ct)
    {
        if (cases.Count == 0) return [];
        var byId = cases.ToDictionary(c => c.Id);
        var ids = byId.Keys.ToArray();
        var open = await query.Query<Alert>()
            .Where(a => ids.Contains(a.CaseId) && a.AcknowledgedAt == null && a.Kind != AlertKind.Escalated).ToListAsync(ct);
        var moves = new List<(string, string?, string?)>();
        foreach (var alert in open)
        {
            var subject = byId[alert.CaseId].Allocation?.Subject;
            var role = subject is null ? Roles.SafeguardingOfficer : null;
            if (alert.RecipientSubject != subject || alert.RecipientRole != role) moves.Add((alert.Id, subject, role));
        }
        return moves;
    }

    /// <summary>The cases, in one read; if that fails for something other than the database, one by one (null: unreadable).</summary>
    private async Task<List<(Guid Id, CaseState? State)>> LoadAsync(IQuerySession query, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        try
        {
            // Their keys in one query first, not one each from inside the serializer (up to 500 after a restart).
            await keys.PrepareAsync(ids, ct);
            var cases = (await query.LoadManyAsync<CaseStream>(ct, ids)).ToDictionary(c => c.Id);
            return [.. ids.Select(id => (id, cases.GetValueOrDefault(id)?.State))];
        }
        catch (Exception e) when (e is not OperationCanceledException && !DatabaseFailures.IsTransient(e))
        {
            var one = new List<(Guid, CaseState?)>(ids.Count);
            foreach (var id in ids)
            {
                try
                {
                    one.Add((id, (await query.LoadAsync<CaseStream>(id, ct))?.State));
                }
                catch (Exception single) when (single is not OperationCanceledException && !DatabaseFailures.IsTransient(single))
                {
                    one.Add((id, null));
                }
            }
            return one;
        }
    }

    /// <summary>Inserts the alert with its emails, unless it was raised before; true when this call raised it.</summary>
    private async Task<bool> RaiseAsync(CaseState state, Obligation obligation, AlertKind kind, Instant now, CancellationToken ct, Alert? ladderOf = null)
    {
        var key = ladderOf is null ? Alert.KeyOf(state.Id, obligation, kind) : ladderOf.Id + ":Escalated";
        await using var session = store.LightweightSession();
        if (await session.LoadAsync<Alert>(key, ct) is not null) return false;

        var toWorker = kind != AlertKind.Escalated && state.Allocation is not null;
        var alert = new Alert
        {
            Id = key,
            NotificationId = Alert.NotificationIdOf(key),
            CaseId = state.Id,
            Obligation = obligation.Type,
            DueBy = obligation.DueBy,
            Kind = kind,
            RaisedAt = now,
            RaisedAtUnixMs = now.ToUnixTimeMilliseconds(),
            RecipientSubject = toWorker ? state.Allocation!.Subject : null,
            RecipientRole = toWorker ? null : kind == AlertKind.Escalated ? Roles.SafeguardingLead : Roles.SafeguardingOfficer,
        };
        session.Insert(alert);
        // NEED-TO-KNOW: a shared mailbox (the duty address, the leads') is read by staff a restriction may not name, so a
        // restricted case is emailed only to its allocated worker (whom the restriction names); its inbox alerts reach
        // the named staff.
        var address = toWorker ? state.Allocation!.Email
            : state.Restriction is not null ? null
            : kind == AlertKind.Escalated ? options.EscalateTo : options.DutyAddress;
        if (options.SendsEmail && !string.IsNullOrWhiteSpace(address) && keys.Find(state.Id) is { } caseKey)
            session.Insert(OutboxEmail.For(alert, keys.Seal(state.Id, address, caseKey), options, now));
        var hook = kind switch { AlertKind.DueSoon => Webhooks.WebhookEvent.ObligationDueSoon, AlertKind.Overdue => Webhooks.WebhookEvent.ObligationOverdue, _ => Webhooks.WebhookEvent.ObligationEscalated };
        await Webhooks.WebhookOutbox.QueueAsync(session, hook, key,
            Webhooks.WebhookOutbox.Body(hook, now, state.Id, obligation.Type.ToString(), obligation.DueBy, options), now, ct);
        if (ladderOf is not null)
        {
            Patch(session, ladderOf.Id, """{"ladderSettled": true}""");
        }
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (Exception e) when (DatabaseFailures.IsConflict(e))
        {
            // Another instance's sweep raised it first.
            return false;
        }
        metrics.AlertRaised(kind.ToString(), obligation.Type.ToString());
        return true;
    }

    /// <summary>An overdue alert whose obligation was discharged: it never goes up the ladder.</summary>
    private async Task MarkAsync(Alert overdue, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        Patch(session, overdue.Id, """{"ladderSettled": true}""");
        await session.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Sets some of a stored alert's fields (JSON, as stored) without writing the rest of it back as the sweep read it, so
    /// an acknowledgement made since the sweep read the alert is never undone.
    /// </summary>
    private void Patch(IDocumentSession session, string alertId, string fields) =>
        session.QueueSqlCommand($"update {store.Options.Schema.For<Alert>()} set data = data || ?::jsonb where id = ?", fields, alertId);
}

/// <summary>
/// What the deadline sweep last made of a case: the version it looked at, and when the case next crosses a threshold
/// (an obligation becoming due soon or overdue). Until the case changes, that instant passes or the settings the
/// thresholds come from change (<see cref="Basis"/>), the sweep does not read the case again. No personal data.
/// </summary>
public sealed class DeadlineLook
{
    /// <summary>The case.</summary>
    public Guid Id { get; set; }
    public long CaseVersion { get; set; }
    /// <summary>The next threshold any of its obligations crosses (Unix ms); <see cref="long.MaxValue"/> when none is left.</summary>
    public long NextLookAtUnixMs { get; set; }
    /// <summary>A hash of what the thresholds were worked out with: <c>DueSoon</c> and the policy's parameters.</summary>
    public string Basis { get; set; } = "";

    public static DeadlineLook After(CaseState state, IEnumerable<Obligation> obligations, Instant now, Duration dueSoon, string basis) => new()
    {
        Id = state.Id,
        CaseVersion = state.Version,
        NextLookAtUnixMs = obligations.SelectMany(o => new[] { o.DueBy - dueSoon, o.DueBy }).Where(t => t > now)
            .Select(t => t.ToUnixTimeMilliseconds()).DefaultIfEmpty(long.MaxValue).Min(),
        Basis = basis,
    };

    /// <summary>A case the sweep could not read or alert: looked at again in an hour, or as soon as it changes.</summary>
    public static DeadlineLook Failed(Guid caseId, long version, Instant now, string basis) => new()
    {
        Id = caseId,
        CaseVersion = version,
        NextLookAtUnixMs = (now + Duration.FromHours(1)).ToUnixTimeMilliseconds(),
        Basis = basis,
    };

    public static string BasisOf(NotificationOptions options, PolicyOptions policy) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{options.DueSoon.TotalMilliseconds}\n{policy}")))[..16];

    /// <summary>A property as the sweep's SQL reads it from the stored JSON (Marten's serializer names them in camel case).</summary>
    public static string Column(string property) => $"(l.data ->> '{System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property)}')";
}
