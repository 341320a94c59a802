using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using Weasel.Postgresql.Tables;

namespace SafeguardingCases.Api.Features.Reports;

/// <summary>
/// The weekly report's projection, already aggregated: one row per ISO week (its Monday, UTC), route and age group,
/// with a count, kept by the command runner in the same transaction as each decision (an atomic upsert, so
/// concurrent decisions in one week never lose a count). A report reads a few rows a week, whatever the store holds.
/// The table is one of Marten's schema objects: <c>db-apply</c> creates it with the rest.
/// </summary>
public static class WeeklyDecisions
{
    public const string TableName = "public.safeguarding_weekly_decisions";

    public static Table Table()
    {
        var table = new Table(TableName);
        table.AddColumn("week_start", "date").AsPrimaryKey();
        table.AddColumn("route", "varchar(20)").AsPrimaryKey();
        table.AddColumn("age_group", "varchar(20)").AsPrimaryKey();
        table.AddColumn("count", "bigint").NotNull();
        return table;
    }

    /// <summary>Counts one decision in its week, in the session's transaction.</summary>
    public static void Count(IDocumentSession session, ICaseEvent decision)
    {
        if (Of(decision) is not var (week, route, ageGroup)) return;
        session.QueueSqlCommand(
            $"insert into {TableName} (week_start, route, age_group, count) values (?::date, ?, ?, 1) " +
            $"on conflict (week_start, route, age_group) do update set count = {TableName}.count + 1",
            week.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), route, ageGroup);
    }

    /// <summary>The week, route and age group a decision counts under; null for any other event.</summary>
    public static (LocalDate Week, string Route, string AgeGroup)? Of(ICaseEvent e) => e switch
    {
        EscalationMade m => (WeekOf(m.At), m.Route.ToString(), AgeGroup(m.Decision.Classification)),
        NoEscalationDecisionRecorded n => (WeekOf(n.At), "None", AgeGroup(n.ServiceUserClassification)),
        _ => null,
    };

    /// <summary>The Monday (UTC) of the ISO week an instant falls in.</summary>
    public static LocalDate WeekOf(Instant at)
    {
        var date = at.InUtc().Date;
        return date.PlusDays(-((int)date.DayOfWeek - (int)IsoDayOfWeek.Monday));
    }

    public static string AgeGroup(PersonClassification? classification) => classification switch
    {
        PersonClassification.Child => "Child",
        PersonClassification.AdultAtRisk => "AdultAtRisk",
        PersonClassification.AdultNotAtRisk => "AdultNotAtRisk",
        _ => "Unknown",
    };

    /// <summary>A decision as the report counts it, from the per-decision projection (for the part-weeks at a range's ends).</summary>
    public static (LocalDate Week, string Route, string AgeGroup) Of(DecisionRecord r) =>
        (WeekOf(r.At), r.Kind == DecisionKind.NoEscalation ? "None" : r.Route.ToString(), AgeGroup(r.Classification));
}
