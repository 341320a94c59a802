using System.Net;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// Alerts on a database whose schema was not applied at start-up (PostgreSQL was not up yet, so Marten creates each
/// table on first use): the inbox and the deadline sweep read tables by hand, and must make sure they exist first.
/// </summary>
public sealed class FirstUseTests(FirstUseTests.LateSchemaApi api) : IClassFixture<FirstUseTests.LateSchemaApi>
{
    [Fact]
    public async Task The_inbox_the_search_and_the_deadline_sweep_work_on_a_database_no_table_was_made_in_yet()
    {
        (await api.Services.GetRequiredService<DeadlineAlerts>().SweepAsync(CancellationToken.None)).ShouldBe(0);
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        await officer.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK);

        // The search by reference, before any case made the data keys' table (its key is kept there).
        (await (await officer.PostJson("/api/v1/cases/search", new { reference = "handle-9" }).ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().ShouldBeEmpty();

        var c = await Open(api, ageYears: 15);
        await c.Disclosure(Concern("Physical"));
        (await api.Services.GetRequiredService<DeadlineAlerts>().SweepAsync(CancellationToken.None)).ShouldBeGreaterThan(0);
        await using var session = api.Store.QuerySession();
        (await session.Query<Alert>().Where(a => a.CaseId == c.Id).ToListAsync())
            .ShouldContain(a => a.Obligation == ObligationType.RiskAssessmentNeeded && a.Kind == AlertKind.Overdue);
    }

    public sealed class LateSchemaApi : ApiFactory
    {
        // The sweep runs only when the test runs it.
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Notifications:SweepInterval"] = "P1D" };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services =>
            {
                var apply = services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(SchemaCommands.ApplyOnStartup));
                services.Remove(apply);
            });
        }
    }
}
