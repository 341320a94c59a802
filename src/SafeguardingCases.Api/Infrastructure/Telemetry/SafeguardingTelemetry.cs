using System.Diagnostics.Metrics;
using NodaTime;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Telemetry;

/// <summary>
/// OpenTelemetry, configured in one place: traces (ASP.NET Core, Npgsql, Marten), metrics (ASP.NET Core, Marten, and
/// the safeguarding metrics below) and logs, exported over OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set (and <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>, ...
/// as the SDK reads them). Nothing is exported otherwise.
/// </summary>
public static class SafeguardingTelemetry
{
    public const string ServiceName = "safeguarding-cases";

    public static IServiceCollection AddSafeguardingTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SafeguardingMetrics>();
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : ServiceName));
        if (string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Nothing to export to: only the request's own activity, which carries the W3C trace id into problems and
            // log scopes. No database spans, metric aggregation, log processing or overdue recount on any request.
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation(Requests));
            return services;
        }
        services.AddHostedService<OverdueObligationsGauge>();
        otel.WithTracing(t => t.AddAspNetCoreInstrumentation(Requests).AddSource("Npgsql", "Marten"))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter(SafeguardingMetrics.MeterName, "Marten"))
            .WithLogging()
            .UseOtlpExporter();
        return services;
    }

    /// <summary>
    /// Request spans: none for health probes; each named by its route template (<c>GET /api/v1/cases/{id}</c>) and with
    /// <c>url.path</c> the template too, so no case id travels in a trace (the logs already leave them out).
    /// </summary>
    private static void Requests(OpenTelemetry.Instrumentation.AspNetCore.AspNetCoreTraceInstrumentationOptions o)
    {
        o.Filter = http => !http.Request.Path.StartsWithSegments("/health");
        o.EnrichWithHttpResponse = (activity, response) =>
        {
            var template = (response.HttpContext.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText is { } raw ? "/" + raw.TrimStart('/') : null;
            activity.DisplayName = $"{response.HttpContext.Request.Method} {template ?? "(unmatched)"}";
            activity.SetTag("url.path", template ?? "(unmatched)");
            activity.SetTag("url.query", null);
        };
    }
}

/// <summary>
/// The metrics a safeguarding team can alert on: commands by type and outcome, refusals by rule ID, escalations by
/// route and agency, and outstanding obligations past their due time, by type (a gauge). No personal data in any tag.
/// </summary>
public sealed class SafeguardingMetrics
{
    public const string MeterName = "SafeguardingCases";

    private readonly Counter<long> commands;
    private readonly Counter<long> refusals;
    private readonly Counter<long> escalations;
    private readonly Histogram<int> groups;
    private readonly Counter<long> alertsRaised;
    private readonly Counter<long> alertsSent;
    private readonly Counter<long> alertsFailed;
    private readonly Counter<long> alertsAcknowledged;
    private readonly Counter<long> alertsEscalated;
    private double oldestUndeliveredSeconds;
    private volatile IReadOnlyDictionary<ObligationType, long> overdue = Enum.GetValues<ObligationType>().ToDictionary(t => t, _ => 0L);

    public SafeguardingMetrics(IMeterFactory meters, Privacy.CaseKeyRing keys)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter("safeguarding.privacy.blocking_key_reads", () => keys.BlockingReads, "{read}",
            "Case keys read from PostgreSQL one at a time, blocking a thread inside the serializer: every read prepares its cases' keys in one query instead, so this grows only with the cases being opened (each checks that its new id has no key).");
        commands = meter.CreateCounter<long>("safeguarding.commands", "{command}", "Commands handled, by command and outcome (Done, Refused, CaseNotFound, StaleVersion, AnsweredBefore).");
        refusals = meter.CreateCounter<long>("safeguarding.refusals", "{refusal}", "Refusals by the policy rule ID that refused them.");
        escalations = meter.CreateCounter<long>("safeguarding.escalations", "{escalation}", "Escalations made, by route and agency.");
        groups = meter.CreateHistogram<int>("safeguarding.commit.group_size", "{command}",
            "Case commands committed together in one statement (see CaseAppendQueue): near its maximum, 64, the API is writing as fast as PostgreSQL lets it.");
        alertsRaised = meter.CreateCounter<long>("safeguarding.alerts.raised", "{alert}", "Alerts raised, by kind (DueSoon, Overdue, Escalated) and obligation.");
        alertsSent = meter.CreateCounter<long>("safeguarding.alerts.sent", "{message}", "Alert messages delivered, by channel (Email, Webhook).");
        alertsFailed = meter.CreateCounter<long>("safeguarding.alerts.failed", "{message}", "Alert deliveries that failed, by channel: tried again later, or given up (refused for good, never deliverable).");
        alertsAcknowledged = meter.CreateCounter<long>("safeguarding.alerts.acknowledged", "{alert}", "Alerts acknowledged in the console or the API.");
        alertsEscalated = meter.CreateCounter<long>("safeguarding.alerts.escalated", "{alert}", "Overdue alerts nobody acknowledged in time, sent up to the leads.");
        meter.CreateObservableGauge("safeguarding.alerts.oldest_undelivered", () => Volatile.Read(ref oldestUndeliveredSeconds), "s",
            "How long the oldest alert email still waiting to be sent has waited: alert when it grows.");
        meter.CreateObservableGauge("safeguarding.obligations.overdue",
            () => overdue.Select(o => new Measurement<long>(o.Value, new KeyValuePair<string, object?>("obligation", o.Key.ToString()))),
            "{obligation}", "Outstanding obligations past their due time, by type: alert when above zero.");
    }

    public void CommandHandled(string command, string status, IReadOnlyList<string> ruleIds)
    {
        commands.Add(1, new KeyValuePair<string, object?>("command", command), new KeyValuePair<string, object?>("outcome", status));
        foreach (var rule in ruleIds) refusals.Add(1, new KeyValuePair<string, object?>("rule_id", rule));
    }

    public void Escalated(Domain.Cases.Route route, Domain.Cases.Agency agency) =>
        escalations.Add(1, new KeyValuePair<string, object?>("route", route.ToString()), new KeyValuePair<string, object?>("agency", agency.ToString()));

    public void GroupCommitted(int commands) => groups.Record(commands);

    public void AlertRaised(string kind, string obligation)
    {
        alertsRaised.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("obligation", obligation));
        if (kind == "Escalated") alertsEscalated.Add(1);
    }

    public void AlertSent(string channel) => alertsSent.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void AlertFailed(string channel) => alertsFailed.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void AlertAcknowledged() => alertsAcknowledged.Add(1);

    public void SetOldestUndelivered(NodaTime.Duration age) => Volatile.Write(ref oldestUndeliveredSeconds, age.TotalSeconds);

    public void SetOverdue(IReadOnlyDictionary<ObligationType, long> counts) => overdue = counts;
}

/// <summary>
/// Counts the outstanding obligations past their due time from the case list rows, every
/// <c>Telemetry__OverdueRefresh</c> (default one minute), for the <c>safeguarding.obligations.overdue</c> gauge.
/// </summary>
public sealed class OverdueObligationsGauge(NpgsqlDataSource db, IClock clock, SafeguardingMetrics metrics,
    IConfiguration configuration, ILogger<OverdueObligationsGauge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = Configuration.Settings.ReadDuration(configuration, "Telemetry:OverdueRefresh") ?? Duration.FromMinutes(1);
        using var timer = new PeriodicTimer(every.ToTimeSpan());
        // First count after one interval: start-up (and the schema step) is over by then.
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                metrics.SetOverdue(await CountAsync(stoppingToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not count overdue obligations ({Error})", e.GetType().Name);
            }
        }
    }

    public async Task<IReadOnlyDictionary<ObligationType, long>> CountAsync(CancellationToken ct)
    {
        // Only the cases owing something overdue are read: a case has an overdue obligation of a type exactly when its
        // indexed due column for that type (the earliest) is past, so PostgreSQL finds them on those indexes instead
        // of scanning every case's obligations.
        var counts = Enum.GetValues<ObligationType>().ToDictionary(t => t, _ => 0L);
        var table = Persistence.MartenSetup.CaseSummaryTable;
        var anyOverdue = string.Join(" or ", counts.Keys.Select(t => $"s.{Features.Cases.List.CaseSummary.DueColumn(t)} < $2"));
        await using var command = db.CreateCommand(
            $"select o->>'type', count(*) from {table} s cross join lateral jsonb_array_elements(s.data->'obligations') o " +
            $"where ({anyOverdue}) and (o->>'dueBy')::timestamptz < $1 group by 1");
        var now = clock.GetCurrentInstant();
        command.Parameters.AddWithValue(now.ToDateTimeUtc());
        command.Parameters.AddWithValue(now.ToUnixTimeMilliseconds());
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                if (Enum.TryParse<ObligationType>(reader.GetString(0), out var type)) counts[type] = reader.GetInt64(1);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No case yet on a new database.
        }
        return counts;
    }
}

/// <summary>A command that counts something of its own in the metrics when it is done (an escalation, its route).</summary>
public interface ICountedCommand
{
    void Count(SafeguardingMetrics metrics);
}
