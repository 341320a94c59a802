using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// PRIVACY-AT-REST: rotating the key-encryption key. The new key becomes <c>Privacy__KeyPath</c> with the old one as
/// <c>Privacy__PreviousKeyPath</c>, <c>rewrap-keys</c> wraps every data key again, then the old key goes: no event is
/// rewritten and everything still reads, the console's sessions included (their data protection keys are sealed again).
/// </summary>
public sealed class KeyRotationTests
{
    private static ConfiguredApi KeyedApi(string keyPath, string? previousKeyPath = null, string? database = null) =>
        new(new Dictionary<string, string?> { ["Privacy:KeyPath"] = keyPath, ["Privacy:PreviousKeyPath"] = previousKeyPath }, database);

    private static string KeyFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kek-{Guid.NewGuid():N}.key");
        File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        return path;
    }

    private static async Task<Guid> OpenAsync(ApiFactory api, string text)
    {
        var opened = await (await api.ClientAs("officer-1", Roles.SafeguardingOfficer).PostJson("/api/v1/cases", new
        {
            channel = "Chat", sourceReference = $"chat-{text}", serviceUser = new { reference = "user-1", ageYears = 15 }, summary = $"{text} told us",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        return opened["id"]!.GetValue<Guid>();
    }

    private static async Task<string> SummaryAsync(ApiFactory api, Guid id) =>
        (await (await api.ClientAs("lead-1", Roles.SafeguardingLead).GetAsync($"/api/v1/cases/{id}").ShouldBe(HttpStatusCode.OK)).Json())["summary"]!.GetValue<string>();

    private static async Task<string> StoredEventsAsync(string connectionString, Guid id)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("select string_agg(data::text || coalesce(headers::text, ''), '|' order by seq_id) from public.mt_events where stream_id = $1");
        command.Parameters.AddWithValue(id);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static IDataProtector Protector(ConfiguredApi api) =>
        api.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("rotation test");

    [Fact]
    public async Task PRIVACY_AT_REST_rotating_the_key_encryption_key_rewraps_the_data_keys_and_rewrites_no_event()
    {
        var (oldKey, newKey) = (KeyFile(), KeyFile());
        string database, signedIn;
        Guid first;
        await using (var before = KeyedApi(oldKey))
        {
            await before.InitializeAsync();
            database = before.ConnectionString;
            first = await OpenAsync(before, "Rotavellion");
            // What the console protects (its session cookie, forms): under a data protection key sealed by the old key.
            signedIn = Protector(before).Protect("a console session made before the rotation");
        }
        var stored = await StoredEventsAsync(database, first);

        // During the rotation: the new key wraps new data keys, the old one still opens the others.
        Guid second;
        await using (var during = KeyedApi(newKey, oldKey, database))
        {
            await during.InitializeAsync();
            (await SummaryAsync(during, first)).ShouldBe("Rotavellion told us");
            second = await OpenAsync(during, "Brandlewick");
        }

        var (rewrapped, already) = await RewrapKeysCommand.RewrapAsync(database, Convert.FromBase64String(File.ReadAllText(oldKey)),
            Convert.FromBase64String(File.ReadAllText(newKey)), CancellationToken.None);
        (rewrapped, already).ShouldBe((3, 1), "the first case's data key, the reference index key and the data protection key; the second case's was made under the new key");
        (await RewrapKeysCommand.RewrapAsync(database, Convert.FromBase64String(File.ReadAllText(oldKey)), Convert.FromBase64String(File.ReadAllText(newKey)), CancellationToken.None))
            .ShouldBe((0, 4), "run again, it changes nothing");
        (await StoredEventsAsync(database, first)).ShouldBe(stored, "no event is rewritten");

        // After it: the new key alone opens everything; the old key opens nothing any more.
        await using (var after = KeyedApi(newKey, null, database))
        {
            await after.InitializeAsync();
            (await SummaryAsync(after, first)).ShouldBe("Rotavellion told us");
            (await SummaryAsync(after, second)).ShouldBe("Brandlewick told us");
            // The console's sessions outlive the rotation: its data protection key was sealed again, not lost.
            Protector(after).Unprotect(signedIn).ShouldBe("a console session made before the rotation");
            // The reference index key was re-wrapped, not replaced: the values stored under it still match.
            var found = await (await after.ClientAs("officer-1", Roles.SafeguardingOfficer).PostJson("/api/v1/cases/search", new { reference = "user-1" })
                .ShouldBe(HttpStatusCode.OK)).Json();
            found["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ShouldBe([second, first], ignoreOrder: true);
            var integrity = await (await after.ClientAs("auditor-1", Roles.Auditor).GetAsync($"/api/v1/cases/{first}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
            integrity["valid"]!.GetValue<bool>().ShouldBeTrue();
        }
        await using var db = NpgsqlDataSource.Create(database);
        await using var wrapped = db.CreateCommand($"select data ->> 'wrapped' from {CaseKeyRing.Table}");
        await using var reader = await wrapped.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            CaseKeyRing.Unwrap(Convert.FromBase64String(File.ReadAllText(oldKey)), reader.GetString(0)).ShouldBeNull();
    }
}
