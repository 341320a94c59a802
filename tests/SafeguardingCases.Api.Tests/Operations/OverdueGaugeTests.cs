using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Telemetry;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Operations;

/// <summary>The overdue-obligations gauge counts each obligation past its due time, by type, and nothing not yet due.</summary>
public sealed class OverdueGaugeTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task The_gauge_counts_obligations_past_their_due_time_by_type()
    {
        var gauge = new OverdueObligationsGauge(api.Services.GetRequiredService<NpgsqlDataSource>(), api.Clock,
            api.Services.GetRequiredService<SafeguardingMetrics>(), new ConfigurationBuilder().Build(), NullLogger<OverdueObligationsGauge>.Instance);
        (await gauge.CountAsync(CancellationToken.None)).Values.ShouldAllBe(n => n == 0);

        var a = await Open(api, ageYears: 15);
        await a.Disclosure(Concern("Physical"));
        var b = await Open(api, ageYears: 15);
        await b.Disclosure(Concern("Physical"));
        await b.Disclosure(Concern("Neglect"));
        var expected = (await a.Policy())["obligations"]!.AsArray().Count + (await b.Policy())["obligations"]!.AsArray().Count;
        expected.ShouldBeGreaterThan(0);

        api.Clock.Advance(Duration.FromDays(30));
        var counts = await gauge.CountAsync(CancellationToken.None);
        counts[ObligationType.RiskAssessmentNeeded].ShouldBeGreaterThanOrEqualTo(2);
        counts.Values.Sum().ShouldBe(expected, "every obligation the two cases owe is now past due, each counted once");
    }
}
