using System.Net;
using System.Security.Cryptography;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Ledger;

/// <summary>
/// Two API processes on one database, sharing a signing key, both signing checkpoints while writers append through
/// both: every checkpoint is consistent with every earlier one (the ledger never forks), and keyed writes sent to
/// either instance land once.
/// </summary>
public sealed class TwoInstancesTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Checkpoints_made_by_two_instances_never_fork_and_keys_hold_across_them()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("twoinstances");
        var keyDir = Directory.CreateTempSubdirectory("ledger-key-");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            await File.WriteAllTextAsync(Path.Combine(keyDir.FullName, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        var settings = new Dictionary<string, string> { ["Ledger__SigningKeyPath"] = Path.Combine(keyDir.FullName, "key.pem") };
        await using var a = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), settings);
        await using var b = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), settings);
        try
        {
            var officers = new[] { a.ClientAs("officer-a", Roles.SafeguardingOfficer), b.ClientAs("officer-b", Roles.SafeguardingOfficer) };
            var auditors = new[] { a.ClientAs("auditor-a", Roles.Auditor), b.ClientAs("auditor-b", Roles.Auditor) };
            var opened = await (await officers[0].PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created)).Json();
            var id = opened["id"]!.GetValue<Guid>();

            // The same key sent to both instances at once: one note.
            var twins = await Task.WhenAll(Enumerable.Range(0, 2).Select(i =>
                (i == 0 ? a : b).ClientAs("officer-shared", Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "once" }, idempotencyKey: "shared-key")));
            twins.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);

            var sizes = new List<long>();
            async Task CheckpointBothAsync()
            {
                var made = await Task.WhenAll(auditors.Select(x => x.PostAsync("/api/v1/audit/checkpoints", null)));
                foreach (var response in made)
                {
                    response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
                    sizes.Add((await response.Json())["treeSize"]!.GetValue<long>());
                }
            }
            // Two phases of writers, each with both instances signing checkpoints while the notes land, and both signing
            // before, between and after: however fast or slow this machine is, there are at least three trees to compare.
            await CheckpointBothAsync();
            foreach (var (from, to) in new[] { (0, 7), (7, 15) })
            {
                var writing = Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
                {
                    for (var n = from; n < to; n++) await officers[w % 2].PostJson($"/api/v1/cases/{id}/notes", new { text = $"w{w} n{n}" }).ShouldBe(HttpStatusCode.Created);
                }));
                while (!writing.IsCompleted) await CheckpointBothAsync();
                await writing;
                await CheckpointBothAsync();
            }

            var distinct = sizes.Distinct().Order().ToList();
            output.WriteLine($"{sizes.Count} checkpoints requested from two instances, {distinct.Count} tree sizes: {string.Join(", ", distinct)}");
            distinct.Count.ShouldBeGreaterThan(2);
            var roots = new Dictionary<long, byte[]>();
            foreach (var size in distinct)
            {
                var checkpoint = await (await auditors[0].GetAsync($"/api/v1/audit/checkpoints/{size}").ShouldBe(HttpStatusCode.OK)).Json();
                roots[size] = Convert.FromBase64String(checkpoint["rootHash"]!.GetValue<string>());
            }
            for (var i = 0; i < distinct.Count; i++)
            {
                for (var j = i + 1; j < distinct.Count; j++)
                {
                    var proof = await (await auditors[j % 2].GetAsync($"/api/v1/audit/proofs/consistency?from={distinct[i]}&to={distinct[j]}").ShouldBe(HttpStatusCode.OK)).Json();
                    MerkleTreeTests.VerifyConsistency(distinct[i], distinct[j], roots[distinct[i]], roots[distinct[j]],
                        [.. proof["proof"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))])
                        .ShouldBeTrue($"checkpoint {distinct[j]} extends checkpoint {distinct[i]}");
                }
            }
            foreach (var size in distinct)
            {
                var verified = await (await auditors[size % 2].GetAsync($"/api/v1/audit/ledger/verify?treeSize={size}").ShouldBe(HttpStatusCode.OK)).Json();
                verified["valid"]!.GetValue<bool>().ShouldBeTrue($"checkpoint {size}: {verified.ToJsonString()}");
            }
            var history = await (await auditors[0].GetAsync($"/api/v1/cases/{id}/history").ShouldBe(HttpStatusCode.OK)).Json();
            history["events"]!.AsArray().Count(e => e!["type"]!.GetValue<string>() == "NoteAdded").ShouldBe(61, "60 notes and the keyed one, once");
        }
        finally
        {
            keyDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Keyed_opens_if_match_races_restrictions_and_health_hold_across_two_instances()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("twoinstances_rules");
        await using var a = await ApiProcess.StartAsync(connectionString, Loopback.FreePort());
        await using var b = await ApiProcess.StartAsync(connectionString, Loopback.FreePort());
        var instances = new[] { a, b };

        // One Idempotency-Key on POST /cases sent to both instances at once, five times over: one case.
        var opens = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            instances[i % 2].ClientAs("officer-1", Roles.SafeguardingOfficer).PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "open-once")));
        opens.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        opens.Select(r => r.Headers.Location!.ToString()).Distinct().Count().ShouldBe(1);
        var url = opens[0].Headers.Location!.ToString();

        // If-Match on the same version through both instances at once: exactly one lands, the others get 412.
        var version = (await a.ClientAs("officer-1", Roles.SafeguardingOfficer).GetAsync(url)).Headers.ETag!.Tag;
        var raced = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            instances[i % 2].ClientAs($"officer-{i}", Roles.SafeguardingOfficer).PostJson($"{url}/notes", new { text = $"race {i}" }, ifMatch: version)));
        raced.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        raced.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed).ShouldBe(5);

        // A restriction made through one instance holds at once on the other (nothing cached per instance).
        await a.ClientAs("lead-1", Roles.SafeguardingLead).PutJson($"{url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about staff" })
            .ShouldBe(HttpStatusCode.OK);
        (await b.ClientAs("officer-2", Roles.SafeguardingOfficer).GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await b.ClientAs("officer-2", Roles.SafeguardingOfficer).PostJson($"{url}/notes", new { text = "not named" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await b.ClientAs("officer-1", Roles.SafeguardingOfficer).GetAsync(url).ShouldBe(HttpStatusCode.OK);

        // The container health check command asks the running API.
        (await HealthCheckAsync(a.Address.Port)).ShouldBe(0);
        (await HealthCheckAsync(Loopback.FreePort())).ShouldBe(1, "nothing listens there");
    }

    private static async Task<int> HealthCheckAsync(int port) =>
        (await ApiProcess.RunToExitAsync(new Dictionary<string, string> { ["HEALTHCHECK_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            "healthcheck", "ready")).Exit;
}
