using FastEndpoints;
using Marten;
using Mediator;
using NodaTime;
using NodaTime.Calendars;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Reports;

/// <summary>Counts by route: emergency, non-emergency, and decisions recorded not to escalate.</summary>
public sealed record RouteCounts(int Emergency, int NonEmergency, int NoneRecorded);

/// <summary>Counts by age group at the time of the decision.</summary>
public sealed record AgeGroupCounts(int Child, int AdultAtRisk, int AdultNotAtRisk, int Unknown);

/// <summary>One ISO week (e.g. <c>2026-W05</c>).</summary>
public sealed record WeekCounts(string Week, RouteCounts ByRoute, AgeGroupCounts ByAgeGroup, int Total);

public sealed record EscalationReport(Instant From, Instant To, IReadOnlyList<WeekCounts> Weeks, RouteCounts ByRoute, AgeGroupCounts ByAgeGroup);

public sealed record EscalationReportQuery(Instant From, Instant To) : IRequest<EscalationReport>;

/// <summary>
/// Counts per ISO week (UTC). Whole days inside the range come from the daily aggregate (a few rows a day); the
/// part-days at the range's ends, at most two, are counted decision by decision from the per-decision projection.
/// The cost depends on the range's length in days and on at most two days of decisions, never on the store's size.
/// </summary>
public sealed class EscalationReportHandler(IQuerySession session, Npgsql.NpgsqlDataSource db) : IRequestHandler<EscalationReportQuery, EscalationReport>
{
    public async ValueTask<EscalationReport> Handle(EscalationReportQuery request, CancellationToken cancellationToken)
    {
        var counts = new List<(LocalDate Day, string Route, string AgeGroup, long Count)>();
        var firstWhole = request.From.InUtc().Date;
        if (firstWhole.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant() < request.From) firstWhole = firstWhole.PlusDays(1);
        var endWhole = request.To.InUtc().Date;
        var firstWholeAt = firstWhole.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
        var endWholeAt = endWhole.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();

        if (firstWhole < endWhole)
        {
            await using var command = db.CreateCommand(
                $"select day, route, age_group, count from {DecisionCounts.TableName} where day >= $1 and day < $2");
            command.Parameters.AddWithValue(firstWhole.ToDateOnly());
            command.Parameters.AddWithValue(endWhole.ToDateOnly());
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                    counts.Add((LocalDate.FromDateOnly(reader.GetFieldValue<DateOnly>(0)), reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
            }
            catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
            {
                // No decision recorded yet on a new database.
            }
            await CountExactlyAsync(request.From, firstWholeAt, counts, cancellationToken);
            await CountExactlyAsync(endWholeAt, request.To, counts, cancellationToken);
        }
        else
        {
            await CountExactlyAsync(request.From, request.To, counts, cancellationToken);
        }

        var weeks = counts
            .GroupBy(c => IsoWeek(c.Day))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new WeekCounts(g.Key, ByRoute(g), ByAgeGroup(g), (int)g.Sum(c => c.Count)))
            .ToList();
        return new EscalationReport(request.From, request.To, weeks, ByRoute(counts), ByAgeGroup(counts));
    }

    /// <summary>Decisions in [from, to) from the per-decision projection, counted as the daily aggregate counts them.</summary>
    private async Task CountExactlyAsync(Instant from, Instant to, List<(LocalDate Day, string Route, string AgeGroup, long Count)> counts, CancellationToken ct)
    {
        if (from >= to) return;
        var (f, t) = (from.ToUnixTimeMilliseconds(), to.ToUnixTimeMilliseconds());
        var records = await session.Query<DecisionRecord>().Where(r => r.AtUnixMs >= f && r.AtUnixMs < t).ToListAsync(ct);
        counts.AddRange(records.Select(DecisionCounts.Of).GroupBy(x => x).Select(g => (g.Key.Day, g.Key.Route, g.Key.AgeGroup, (long)g.Count())));
    }

    private static string IsoWeek(LocalDate date)
    {
        var rules = WeekYearRules.Iso;
        return $"{rules.GetWeekYear(date):D4}-W{rules.GetWeekOfWeekYear(date):D2}";
    }

    private static RouteCounts ByRoute(IEnumerable<(LocalDate Day, string Route, string AgeGroup, long Count)> counts)
    {
        var list = counts as IReadOnlyCollection<(LocalDate Day, string Route, string AgeGroup, long Count)> ?? [.. counts];
        int Sum(string route) => (int)list.Where(c => c.Route == route).Sum(c => c.Count);
        return new RouteCounts(Sum(nameof(Route.Emergency)), Sum(nameof(Route.NonEmergency)), Sum("None"));
    }

    private static AgeGroupCounts ByAgeGroup(IEnumerable<(LocalDate Day, string Route, string AgeGroup, long Count)> counts)
    {
        var list = counts as IReadOnlyCollection<(LocalDate Day, string Route, string AgeGroup, long Count)> ?? [.. counts];
        int Sum(string group) => (int)list.Where(c => c.AgeGroup == group).Sum(c => c.Count);
        return new AgeGroupCounts(Sum("Child"), Sum("AdultAtRisk"), Sum("AdultNotAtRisk"), Sum("Unknown"));
    }
}

/// <summary>GET /reports/escalations?from=&amp;to=: counts per ISO week by route and by age group.</summary>
public sealed class EscalationReportEndpoint(ISender sender, IClock clock) : Endpoint<RangeRequest, EscalationReport>
{
    public override void Configure()
    {
        Get("/reports/escalations");
        Roles(R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<EscalationReport>("Reports", "Escalations per ISO week by route and age group", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(RangeRequest req, CancellationToken ct)
    {
        var (from, to) = req.Resolve(clock.GetCurrentInstant());
        await EndpointResults.SendJsonAsync(HttpContext, await sender.Send(new EscalationReportQuery(from, to), ct), StatusCodes.Status200OK);
    }
}
