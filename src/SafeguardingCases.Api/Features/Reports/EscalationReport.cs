using FastEndpoints;
using Marten;
using Mediator;
using NodaTime;
using NodaTime.Calendars;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
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

/// <summary>Counts per ISO week (UTC) from the decisions projection.</summary>
public sealed class EscalationReportHandler(IQuerySession session) : IRequestHandler<EscalationReportQuery, EscalationReport>
{
    public async ValueTask<EscalationReport> Handle(EscalationReportQuery request, CancellationToken cancellationToken)
    {
        var from = request.From.ToUnixTimeMilliseconds();
        var to = request.To.ToUnixTimeMilliseconds();
        var records = await session.Query<DecisionRecord>().Where(r => r.AtUnixMs >= from && r.AtUnixMs < to).ToListAsync(cancellationToken);
        var weeks = records
            .GroupBy(r => IsoWeek(r.At))
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new WeekCounts(g.Key, ByRoute(g), ByAgeGroup(g), g.Count()))
            .ToList();
        return new EscalationReport(request.From, request.To, weeks, ByRoute(records), ByAgeGroup(records));
    }

    private static string IsoWeek(Instant at)
    {
        var date = at.InUtc().Date;
        var rules = WeekYearRules.Iso;
        return $"{rules.GetWeekYear(date):D4}-W{rules.GetWeekOfWeekYear(date):D2}";
    }

    private static RouteCounts ByRoute(IEnumerable<DecisionRecord> records)
    {
        var list = records as IReadOnlyCollection<DecisionRecord> ?? [.. records];
        return new RouteCounts(
            list.Count(r => r.Kind == DecisionKind.Escalation && r.Route == Route.Emergency),
            list.Count(r => r.Kind == DecisionKind.Escalation && r.Route == Route.NonEmergency),
            list.Count(r => r.Kind == DecisionKind.NoEscalation));
    }

    private static AgeGroupCounts ByAgeGroup(IEnumerable<DecisionRecord> records)
    {
        var list = records as IReadOnlyCollection<DecisionRecord> ?? [.. records];
        return new AgeGroupCounts(
            list.Count(r => r.Classification == PersonClassification.Child),
            list.Count(r => r.Classification == PersonClassification.AdultAtRisk),
            list.Count(r => r.Classification == PersonClassification.AdultNotAtRisk),
            list.Count(r => r.Classification is null or PersonClassification.UnknownTreatedAsChild));
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
