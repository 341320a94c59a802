using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// An API process is killed with SIGKILL while 16 writers send keyed notes: every note is recorded exactly once,
/// every retry is answered (none "in progress"), and the chains are intact. Alone, it is started again; as one of two
/// behind nginx routing each case to one of them (<c>deploy/nginx/route-by-case.conf</c>, as the ingress does), it is
/// not, and its cases move to the other, which has never seen them.
/// </summary>
public sealed class ApiKillTests(ITestOutputHelper output)
{
    private const int Writers = 16, NotesPerWriter = 12;

    [Fact]
    public async Task Killing_the_api_mid_write_loses_and_duplicates_nothing()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("apikill");
        var port = Loopback.FreePort();
        var api = await ApiProcess.StartAsync(connectionString, port);
        try
        {
            var officer = api.ClientAs("officer-kill", Roles.SafeguardingOfficer);
            var cases = await OpenCasesAsync(officer, 4);

            var client = officer;
            var writers = new KeyedWriters(cases, Writers, NotesPerWriter);
            var run = writers.RunAsync(() => Volatile.Read(ref client), TimeSpan.FromSeconds(120));
            var killedAt = await KillWhenAThirdIsAcknowledgedAsync(writers, run, api);
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

    [Fact]
    public async Task Killing_one_of_two_instances_routed_by_case_mid_write_loses_and_duplicates_nothing()
    {
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("routedkill");
        await using var first = await ApiProcess.StartAsync(connectionString, Loopback.FreePort());
        await using var second = await ApiProcess.StartAsync(connectionString, Loopback.FreePort());
        await using var router = await CaseRouter.StartAsync([first.Address, second.Address]);
        var officer = ApiProcess.ClientAs(router.Address, "officer-routed", Roles.SafeguardingOfficer);
        // Sixteen cases, so both instances own some (all on one would take odds of 1 in 32,768).
        var cases = await OpenCasesAsync(officer, Writers);

        var writers = new KeyedWriters(cases, Writers, NotesPerWriter);
        var run = writers.RunAsync(() => officer, TimeSpan.FromSeconds(120));
        var killedAt = await KillWhenAThirdIsAcknowledgedAsync(writers, run, second);
        await run;

        output.WriteLine($"{writers.Total} notes; one instance killed after {killedAt} acknowledged; {writers.CutOff} requests cut off " +
            $"(a connection cut or the proxy's 502), {writers.Replayed} retries answered from their key, {writers.Unavailable} answers 503");
        await ExactlyOnce.ShouldHoldAsync(writers, connectionString, cases, ApiProcess.ClientAs(router.Address, "auditor-routed", Roles.Auditor), Writers, NotesPerWriter);
    }

    private static async Task<int> KillWhenAThirdIsAcknowledgedAsync(KeyedWriters writers, Task run, ApiProcess api)
    {
        while (writers.Acknowledged.Count < writers.Total / 3 && !run.IsCompleted) await Task.Delay(5);
        await api.KillAsync();
        var killedAt = writers.Acknowledged.Count;
        killedAt.ShouldBeLessThan(writers.Total, "the API was killed while notes were still being written");
        return killedAt;
    }

    private static async Task<List<Guid>> OpenCasesAsync(HttpClient officer, int count)
    {
        var cases = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var opened = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: $"open-{i}").ShouldBe(System.Net.HttpStatusCode.Created);
            cases.Add((await opened.Json())["id"]!.GetValue<Guid>());
        }
        return cases;
    }
}
