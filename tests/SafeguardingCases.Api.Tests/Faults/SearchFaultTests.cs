using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// The search by reference and the commands that stage index values, with PostgreSQL crashed (<c>pg_ctl stop -m
/// immediate</c>): 503 with Retry-After and nothing internal, never a 500; after the restart, the search finds what was
/// acknowledged before the crash and what is written after it; a backfill of older rows started during the crash
/// keeps trying and indexes them all once PostgreSQL is back.
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

    [Fact]
    public async Task The_backfill_started_during_a_crash_waits_and_indexes_every_older_row_after_the_restart()
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var handles = Enumerable.Range(0, 3).Select(i => $"older{i}-{Guid.NewGuid():N}"[..20]).ToArray();
        var ids = new List<Guid>();
        foreach (var handle in handles)
        {
            ids.Add((await (await officer.PostJson("/api/v1/cases", new
            {
                channel = "Boards", sourceReference = $"post-{handle}", serviceUser = new { reference = handle, ageYears = 15 }, summary = "Written before the index",
            }).ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>());
        }
        // The rows as a version before the index wrote them.
        await using (var db = Npgsql.NpgsqlDataSource.Create(api.ConnectionString))
        await using (var strip = db.CreateCommand($"update {Api.Infrastructure.Persistence.MartenSetup.CaseSummaryTable} set data = data - 'referenceIndex' where id = any($1)"))
        {
            strip.Parameters.AddWithValue(ids.ToArray());
            (await strip.ExecuteNonQueryAsync()).ShouldBe(3);
        }
        foreach (var handle in handles) await NotFoundAsync(officer, handle);

        // A process starting while PostgreSQL is down: its backfill fails, waits, tries again, and does not give up.
        var services = api.Services;
        using var backfill = new Api.Features.Cases.Search.ReferenceIndexBackfill(
            services.GetRequiredService<Marten.IDocumentStore>(), services.GetRequiredService<Npgsql.NpgsqlDataSource>(),
            services.GetRequiredService<Api.Infrastructure.Privacy.CaseKeyRing>(),
            services.GetRequiredService<ILogger<Api.Features.Cases.Search.ReferenceIndexBackfill>>()) { RetryAfter = TimeSpan.FromMilliseconds(200) };
        await api.Cluster.CrashAsync();
        try
        {
            await backfill.StartAsync(CancellationToken.None);
            await Task.Delay(1_000);
            backfill.ExecuteTask.ShouldNotBeNull().IsCompleted.ShouldBeFalse("it keeps trying while the database is down");
        }
        finally
        {
            await api.Cluster.RestartAsync();
        }

        await backfill.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        backfill.ExecuteTask.IsCompletedSuccessfully.ShouldBeTrue();
        foreach (var (handle, id) in handles.Zip(ids))
        {
            var found = await (await officer.PostJson("/api/v1/cases/search", new { reference = handle }).ShouldBe(HttpStatusCode.OK)).Json();
            found["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ShouldBe([id]);
        }
    }

    private static async Task NotFoundAsync(HttpClient client, string handle) =>
        (await (await client.PostJson("/api/v1/cases/search", new { reference = handle }).ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .ShouldBeEmpty("a row without index values is not found by the search");
}
