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
    Webhooks.CaseEventFeed feed, SafeguardingMetrics metrics, ILogger<DeadlineAlerts> logger) : BackgroundService
{
    /// <summary>At most this many cases a sweep (the most urgent first); the next sweep takes the rest.</summary>
    public const int CasesPerSweep = 500;

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
        foreach (var (state, obligation) in await OutstandingAsync(now + options.DueSoon, ct))
        {
            // An obligation first seen already overdue raises only the overdue alert: "due soon" would be news from the past.
            var kind = obligation.DueBy <= now ? AlertKind.Overdue : AlertKind.DueSoon;
            if (await RaiseAsync(state, obligation, kind, now, ct)) raised++;
        }

        // The ladder: overdue alerts nobody acknowledged in time, whose obligation is still outstanding.
        var before = (now - options.EscalateAfter).ToUnixTimeMilliseconds();
        await using var query = store.QuerySession();
        var waiting = await query.Query<Alert>()
            .Where(a => a.Kind == AlertKind.Overdue && a.AcknowledgedAt == null && !a.LadderSettled && a.RaisedAtUnixMs <= before)
            .Take(CasesPerSweep).ToListAsync(ct);
        foreach (var overdue in waiting)
        {
            var state = (await query.LoadAsync<CaseStream>(overdue.CaseId, ct))?.State;
            var obligation = state is null ? null : PolicyEngine.Obligations(state, policy.Value)
                .FirstOrDefault(o => Alert.KeyOf(state.Id, o, AlertKind.Overdue) == overdue.Id);
            if (obligation is not null && await RaiseAsync(state!, obligation, AlertKind.Escalated, now, ct, overdue)) raised++;
            else if (obligation is null) await MarkAsync(overdue, ct);
        }

        // The case events other systems subscribe to by webhook (escalations made, cases closed).
        await feed.QueueNewAsync(now, ct);
        return raised;
    }

    /// <summary>The cases owing something due by <paramref name="by"/> (the indexed due columns), with each such obligation.</summary>
    private async Task<List<(CaseState State, Obligation Obligation)>> OutstandingAsync(Instant by, CancellationToken ct)
    {
        var ms = by.ToUnixTimeMilliseconds();
        var types = Enum.GetValues<ObligationType>();
        var where = string.Join(" or ", types.Select(t => $"d.{CaseSummary.DueColumn(t)} <= ?"));
        await using var query = store.QuerySession();
        // The most urgent first, so a backlog larger than one sweep takes the earliest deadlines first.
        var earliest = string.Join(", ", types.Select(t => $"d.{CaseSummary.DueColumn(t)}"));
        var rows = await query.QueryAsync<CaseSummary>($"where ({where}) order by least({earliest}) limit {CasesPerSweep}", ct, [.. types.Select(_ => (object)ms)]);
        var cases = await query.LoadManyAsync<CaseStream>(ct, rows.Select(r => r.Id));
        return [.. cases.SelectMany(c => PolicyEngine.Obligations(c.State, policy.Value).Where(o => o.DueBy <= by).Select(o => (c.State, o)))];
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
            AllowedSubjects = state.Restriction is { } r ? [.. r.AllowedSubjects] : [],
        };
        session.Insert(alert);
        // NEED-TO-KNOW: a shared mailbox (the duty address, the leads') is read by staff a restriction may not name, so a
        // restricted case is emailed only to its allocated worker (whom the restriction names); its inbox alerts reach
        // the named staff.
        var address = toWorker ? state.Allocation!.Email
            : state.Restriction is not null ? null
            : kind == AlertKind.Escalated ? options.EscalateTo : options.DutyAddress;
        if (options.SendsEmail && !string.IsNullOrWhiteSpace(address)) session.Insert(OutboxEmail.For(alert, address, options, now));
        var hook = kind switch { AlertKind.DueSoon => Webhooks.WebhookEvent.ObligationDueSoon, AlertKind.Overdue => Webhooks.WebhookEvent.ObligationOverdue, _ => Webhooks.WebhookEvent.ObligationEscalated };
        await Webhooks.WebhookOutbox.QueueAsync(session, hook, key,
            Webhooks.WebhookOutbox.Body(hook, now, state.Id, obligation.Type.ToString(), obligation.DueBy, options), now, ct);
        if (ladderOf is not null)
        {
            ladderOf.LadderSettled = true;
            session.Update(ladderOf);
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
        overdue.LadderSettled = true;
        session.Update(overdue);
        await session.SaveChangesAsync(ct);
    }
}
