using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// The search by reference and the commands that stage index values, with PostgreSQL crashed (<c>pg_ctl stop -m
/// immediate</c>): 503 with Retry-After and nothing internal, never a 500; after the restart, the search finds what was
/// acknowledged before the crash and what is written after it.
/// </summary>
public sealed class SearchFaultTests(DatabaseCrashTests.CrashableDatabase api) : IClassFixture<DatabaseCrashTests.CrashableDatabase>
{
    [Fact]
    public async Task A_search_and_a_new_case_during_a_database_crash_are_503_and_both_work_after_it()
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var handle = $"crash-{Guid.NewGuid():N}"[..18];
        var before = (await (await officer.PostJson("/api/v1/cases", new
        {
            channel = "Chat", sourceReference = "chat-before", serviceUser = new { reference = handle, ageYears = 15 }, summary = "Before the crash",
        }).ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>();

        await api.Cluster.CrashAsync();
        try
        {
            foreach (var call in new Func<Task<HttpResponseMessage>>[]
                     {
                         () => officer.PostJson("/api/v1/cases/search", new { reference = handle }),
                         () => officer.PostJson("/api/v1/cases", new
                         {
                             channel = "Chat", sourceReference = "chat-during", serviceUser = new { reference = handle, ageYears = 15 }, summary = "During the crash",
                         }, idempotencyKey: "during-crash"),
                     })
            {
                var response = await call();
                var problem = await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable);
                response.Headers.RetryAfter.ShouldNotBeNull();
                problem.ShouldCarryNoInternals();
            }
        }
        finally
        {
            await api.Cluster.RestartAsync();
        }

        // The open case retried with its key lands once; the search finds both, newest first.
        var during = (await (await officer.PostJson("/api/v1/cases", new
        {
            channel = "Chat", sourceReference = "chat-during", serviceUser = new { reference = handle, ageYears = 15 }, summary = "During the crash",
        }, idempotencyKey: "during-crash").ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>();
        var found = await (await officer.PostJson("/api/v1/cases/search", new { reference = handle }).ShouldBe(HttpStatusCode.OK)).Json();
        found["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ShouldBe([during, before]);
    }
}
