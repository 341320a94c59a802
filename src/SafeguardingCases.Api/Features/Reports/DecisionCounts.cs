using Marten;
using NodaTime;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using Weasel.Postgresql.Tables;

namespace SafeguardingCases.Api.Features.Reports;

/// <summary>
/// The report's projection, already aggregated: one row per UTC day, route and age group, with a count, kept by the
/// command runner in the same transaction as each decision (an atomic upsert, so concurrent decisions never lose a
/// count). A report adds up at most a few rows a day into ISO weeks, whatever the store holds; days rather than weeks,
/// so a range that starts or ends mid-week counts at most two part-days decision by decision. The table is one of
/// Marten's schema objects: <c>db-apply</c> creates it with the rest.
/// </summary>
public static class DecisionCounts
{
    public const string TableName = "public.safeguarding_decision_counts";

    public static Table Table()
    {
        var table = new Table(TableName);
        table.AddColumn("day", "date").AsPrimaryKey();
        table.AddColumn("route", "varchar(20)").AsPrimaryKey();
        table.AddColumn("age_group", "varchar(20)").AsPrimaryKey();
        table.AddColumn("count", "bigint").NotNull();
        return table;
    }

    /// <summary>Counts one decision on its day, in the session's transaction.</summary>
    public static void Count(IDocumentSession session, ICaseEvent decision)
    {
        if (Of(decision) is not var (day, route, ageGroup)) return;
        session.QueueSqlCommand(
            $"insert into {TableName} (day, route, age_group, count) values (?::date, ?, ?, 1) " +
            $"on conflict (day, route, age_group) do update set count = {TableName}.count + 1",
            day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), route, ageGroup);
    }

    /// <summary>The day (UTC), route and age group a decision counts under; null for any other event.</summary>
    public static (LocalDate Day, string Route, string AgeGroup)? Of(ICaseEvent e) => e switch
    {
        EscalationMade m => (m.At.InUtc().Date, m.Route.ToString(), AgeGroup(m.Decision.Classification)),
        NoEscalationDecisionRecorded n => (n.At.InUtc().Date, "None", AgeGroup(n.ServiceUserClassification)),
        _ => null,
    };

    public static string AgeGroup(PersonClassification? classification) => classification switch
    {
        PersonClassification.Child => "Child",
        PersonClassification.AdultAtRisk => "AdultAtRisk",
        PersonClassification.AdultNotAtRisk => "AdultNotAtRisk",
        _ => "Unknown",
    };

    /// <summary>A decision as the report counts it, from the per-decision projection (for the part-weeks at a range's ends).</summary>
    public static (LocalDate Day, string Route, string AgeGroup) Of(DecisionRecord r) =>
        (r.At.InUtc().Date, r.Kind == DecisionKind.NoEscalation ? "None" : r.Route.ToString(), AgeGroup(r.Classification));
}
