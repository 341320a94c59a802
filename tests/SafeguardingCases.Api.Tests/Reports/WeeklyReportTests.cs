using System.Net;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Reports;

/// <summary>
/// The weekly report from its aggregated projection: whole days from the daily counts, part-days at the ends
/// exactly, and concurrent decisions on one day never losing a count.
/// </summary>
public sealed class WeeklyReportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Concurrent_decisions_are_all_counted_and_whole_and_part_weeks_add_up()
    {
        var start = api.Clock.GetCurrentInstant();
        var cases = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            var c = await Open(api, ageYears: i % 2 == 0 ? 15 : 40);
            var d = await c.Disclosure(Concern("RiskToLife"));
            await c.SafetyPlan("NotPossible");
            var a = await c.Assessment(Assessment("service-user", "Immediate", "Emergency"));
            return (c, a, d);
        }));
        // Six escalations at once, on the same day: an atomic count each.
        await Task.WhenAll(cases.Select(x => x.c.Escalation(EscalationBody("Emergency", "Police999", x.a, [x.d]))));
        (await WeeklyTotalAsync()).ShouldBe(6);

        // Three weeks later the decisions' day is a whole day inside the range: counted from the daily rows.
        api.Clock.Advance(Duration.FromDays(21));
        var lead = api.ClientFor(Roles.SafeguardingLead);
        var report = await (await lead.GetAsync($"/api/v1/reports/escalations?from={Iso(start - Duration.FromDays(10))}").ShouldBe(HttpStatusCode.OK)).Json();
        report["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(6);
        report["byAgeGroup"]!["child"]!.GetValue<int>().ShouldBe(3);
        report["byAgeGroup"]!["adultNotAtRisk"]!.GetValue<int>().ShouldBe(3);
        report["weeks"]!.AsArray().Sum(w => w!["total"]!.GetValue<int>()).ShouldBe(6);

        // A range that starts or ends inside that day counts it exactly, from the decisions themselves.
        var exact = await (await lead.GetAsync($"/api/v1/reports/escalations?from={Iso(start)}&to={Iso(start + Duration.FromDays(1))}").ShouldBe(HttpStatusCode.OK)).Json();
        exact["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(6);
        var before = await (await lead.GetAsync($"/api/v1/reports/escalations?from={Iso(start - Duration.FromDays(30))}&to={Iso(start - Duration.FromMilliseconds(1))}").ShouldBe(HttpStatusCode.OK)).Json();
        before["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(0);

        // Any range, open ends too: "since the start" from the daily aggregate, no five-year cap.
        var all = await (await lead.GetAsync("/api/v1/reports/escalations?from=2024-01-01T00:00:00Z&to=2100-01-01T00:00:00Z").ShouldBe(HttpStatusCode.OK)).Json();
        all["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(6);
        all["weeks"]!.AsArray().Count.ShouldBe(1, "only weeks with decisions are listed");
        var untilThen = await (await lead.GetAsync("/api/v1/reports/escalations?to=2100-01-01T00:00:00Z").ShouldBe(HttpStatusCode.OK)).Json();
        untilThen["byAgeGroup"]!["child"]!.GetValue<int>().ShouldBe(3);
        var sinceThen = await (await lead.GetAsync($"/api/v1/reports/escalations?from={Iso(start - Duration.FromDays(400))}").ShouldBe(HttpStatusCode.OK)).Json();
        sinceThen["byRoute"]!["emergency"]!.GetValue<int>().ShouldBe(6);
    }

    private async Task<long> WeeklyTotalAsync()
    {
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select coalesce(sum(count), 0)::bigint from safeguarding_decision_counts where route = 'Emergency'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
