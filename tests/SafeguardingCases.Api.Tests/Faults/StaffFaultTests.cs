using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// The staff directory with PostgreSQL crashed (<c>pg_ctl stop -m immediate</c>): a request that needs no database is
/// answered as ever (the directory is written beside it, never in its way), the list is 503 with Retry-After; the
/// write lost to the crash is made by the person's next request after the restart.
/// </summary>
public sealed class StaffFaultTests(DatabaseCrashTests.CrashableDatabase api) : IClassFixture<DatabaseCrashTests.CrashableDatabase>
{
    [Fact]
    public async Task A_caller_first_seen_during_a_crash_is_answered_and_recorded_by_their_next_request_after_it()
    {
        var subject = $"officer-crash-{Guid.NewGuid():N}"[..22];
        var officer = api.ClientAs(subject, Roles.SafeguardingOfficer);
        var lead = api.ClientAs("lead-crash", Roles.SafeguardingLead);
        await lead.GetAsync("/api/v1/staff?limit=1").ShouldBe(HttpStatusCode.OK);

        await api.Cluster.CrashAsync();
        try
        {
            await officer.GetAsync("/api/v1/glossary").ShouldBe(HttpStatusCode.OK);
            var response = await lead.GetAsync($"/api/v1/staff?subject={subject}");
            (await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable)).ShouldCarryNoInternals();
            response.Headers.RetryAfter.ShouldNotBeNull();
            // The write the first request started has failed by now (a refused connection fails at once).
            await Task.Delay(500);
        }
        finally
        {
            await api.Cluster.RestartAsync();
        }

        await officer.GetAsync("/api/v1/glossary").ShouldBe(HttpStatusCode.OK);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var page = await (await lead.GetAsync($"/api/v1/staff?subject={subject}").ShouldBe(HttpStatusCode.OK)).Json();
            if (page["items"]!.AsArray().Count == 1) break;
            DateTime.UtcNow.ShouldBeLessThan(deadline, "the caller's request after the restart records them");
            await Task.Delay(50);
        }
    }
}
