using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Two API processes behind nginx routing each case to one of them (<c>deploy/nginx/route-by-case.conf</c>, as the
/// ingress does). One is killed with SIGKILL while 16 writers send keyed notes through the proxy, and not started
/// again: its cases move to the other, which has never seen them, and every note is still recorded exactly once.
/// </summary>
public sealed class RoutedInstancesTests(ITestOutputHelper output)
{
    private const int Writers = 16, NotesPerWriter = 12;

    [Fact]
    public async Task Killing_one_of_two_routed_instances_mid_write_loses_and_duplicates_nothing()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("routed");
        await using var first = await ApiProcess.StartAsync(connectionString, ApiProcess.FreePort());
        var second = await ApiProcess.StartAsync(connectionString, ApiProcess.FreePort());
        try
        {
            await using var router = await CaseRouter.StartAsync([first.Address, second.Address]);
            var officer = ApiProcess.ClientAs(router.Address, "officer-routed", Roles.SafeguardingOfficer);
            // Sixteen cases, so both instances own some (all on one would take odds of 1 in 32,768).
            var cases = new List<Guid>();
            for (var i = 0; i < Writers; i++)
            {
                var opened = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: $"open-{i}").ShouldBe(System.Net.HttpStatusCode.Created);
                cases.Add((await opened.Json())["id"]!.GetValue<Guid>());
            }

            var writers = new KeyedWriters(cases, Writers, NotesPerWriter);
            var run = writers.RunAsync(() => officer, TimeSpan.FromSeconds(120));
            while (writers.Acknowledged.Count < writers.Total / 3 && !run.IsCompleted) await Task.Delay(5);
            await second.KillAsync();
            var killedAt = writers.Acknowledged.Count;
            await run;

            output.WriteLine($"{writers.Total} notes; one instance killed after {killedAt} acknowledged; {writers.CutOff} requests cut off " +
                $"(a connection cut or the proxy's 502), {writers.Replayed} retries answered from their key, {writers.Unavailable} answers 503");
            killedAt.ShouldBeLessThan(writers.Total, "the instance was killed while notes were still being written");
            await ExactlyOnce.ShouldHoldAsync(writers, connectionString, cases, ApiProcess.ClientAs(router.Address, "auditor-routed", Roles.Auditor), Writers, NotesPerWriter);
        }
        finally
        {
            await second.DisposeAsync();
        }
    }
}
