using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// The API process is killed with SIGKILL while 16 writers send keyed notes, then started again: every note is
/// recorded exactly once, every retry after the restart is answered (none "in progress"), and the chains are intact.
/// </summary>
public sealed class ApiKillTests(ITestOutputHelper output)
{
    private const int Writers = 16, NotesPerWriter = 12;

    [Fact]
    public async Task Killing_the_api_mid_write_loses_and_duplicates_nothing()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("apikill");
        var port = ApiProcess.FreePort();
        var api = await ApiProcess.StartAsync(connectionString, port);
        try
        {
            var officer = api.ClientAs("officer-kill", Roles.SafeguardingOfficer);
            var cases = new List<Guid>();
            for (var i = 0; i < 4; i++)
            {
                var opened = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: $"open-{i}").ShouldBe(System.Net.HttpStatusCode.Created);
                cases.Add((await opened.Json())["id"]!.GetValue<Guid>());
            }

            var client = officer;
            var writers = new KeyedWriters(cases, Writers, NotesPerWriter);
            var run = writers.RunAsync(() => Volatile.Read(ref client), TimeSpan.FromSeconds(120));
            while (writers.Acknowledged.Count < writers.Total / 3 && !run.IsCompleted) await Task.Delay(5);
            await api.KillAsync();
            var killedAt = writers.Acknowledged.Count;
            await api.DisposeAsync();
            api = await ApiProcess.StartAsync(connectionString, port);
            Volatile.Write(ref client, api.ClientAs("officer-kill", Roles.SafeguardingOfficer));
            await run;

            output.WriteLine($"{writers.Total} notes; killed after {killedAt} acknowledged; {writers.CutOff} requests cut off, " +
                $"{writers.Replayed} retries answered from their key, {writers.Unavailable} answers 503");
            var settled = await ExactlyOnce.ShouldHoldAsync(writers, connectionString, cases, api.ClientAs("auditor-kill", Roles.Auditor), Writers, NotesPerWriter);
            output.WriteLine($"a checkpoint on request covered every committed event {settled.TotalMilliseconds:F0} ms after the writers finished");
        }
        finally
        {
            await api.DisposeAsync();
        }
    }
}
