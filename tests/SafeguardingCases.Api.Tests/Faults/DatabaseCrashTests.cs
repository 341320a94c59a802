using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// PostgreSQL crashes (<c>pg_ctl stop -m immediate</c>) and comes back while 16 writers send keyed notes: no
/// acknowledged write is lost, none is duplicated, every unanswered request lands exactly once when retried with its
/// key, and nothing is answered 500. The database is a cluster of this class's own, durable as in production.
/// </summary>
public sealed class DatabaseCrashTests(DatabaseCrashTests.CrashableDatabase api, ITestOutputHelper output) : IClassFixture<DatabaseCrashTests.CrashableDatabase>
{
    private const int Writers = 16, NotesPerWriter = 12;

    [Fact]
    public async Task A_database_crash_under_load_loses_and_duplicates_nothing()
    {
        var cases = new List<Guid>();
        for (var i = 0; i < 4; i++) cases.Add(await api.OpenCase());
        var client = api.ClientAs("officer-crash", Roles.SafeguardingOfficer);
        var writers = new KeyedWriters(cases, Writers, NotesPerWriter);

        var run = writers.RunAsync(() => client, TimeSpan.FromSeconds(120));
        while (writers.Acknowledged.Count < writers.Total / 3 && !run.IsCompleted) await Task.Delay(10);
        await api.Cluster.CrashAsync();
        var crashedAt = writers.Acknowledged.Count;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await api.Cluster.RestartAsync();
        await run;

        output.WriteLine($"{writers.Total} notes; crash after {crashedAt} acknowledged; {writers.Unavailable} answers 503 with Retry-After, " +
            $"{writers.CutOff} cut off, {writers.Replayed} retries answered from their key");
        var settled = await ExactlyOnce.ShouldHoldAsync(writers, api.ConnectionString, cases, api.ClientFor(Roles.Auditor), Writers, NotesPerWriter);
        output.WriteLine($"a checkpoint on request covered every committed event {settled.TotalMilliseconds:F0} ms after the writers finished");
        (await api.ClientFor().GetAsync("/health/ready")).StatusCode.ShouldBe(System.Net.HttpStatusCode.OK, "ready again after the restart");
    }

    /// <summary>The API in memory over a durable cluster of its own, which the test may crash and restart.</summary>
    public class CrashableDatabase : ApiFactory
    {
        public LocalCluster Cluster { get; private set; } = null!;

        public override async ValueTask InitializeAsync()
        {
            Cluster = await LocalCluster.StartAsync(durable: true);
            ConnectionString = Cluster.ConnectionString.Replace(";Include Error Detail=true", "", StringComparison.Ordinal) + ";Timeout=3;Command Timeout=10";
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            Cluster.Dispose();
            GC.SuppressFinalize(this);
        }
    }
}
