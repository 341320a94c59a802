using System.Net;
using System.Security.Cryptography;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Ledger;

/// <summary>
/// The ledger's signing key replaced (it expired, or leaked): checkpoints signed before are still verified, with the
/// earlier key's public key (<c>Ledger__PreviousPublicKeysPath</c>), and an instance that does not hold the key a
/// checkpoint was signed with says so, never that the event log changed: that would send auditors after tampering that
/// never happened.
/// </summary>
public sealed class SigningKeyRotationTests
{
    [Fact]
    public async Task Checkpoints_signed_with_an_earlier_key_verify_with_its_public_key_and_without_it_are_not_called_altered()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("ledgerkeyrotation");
        var keys = Directory.CreateTempSubdirectory("ledger-keys-");
        string Write(string name, string pem)
        {
            var path = Path.Combine(keys.FullName, name);
            File.WriteAllText(path, pem);
            return path;
        }
        using var first = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var second = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var firstKey = Write("first.pem", first.ExportPkcs8PrivateKeyPem());
        var secondKey = Write("second.pem", second.ExportPkcs8PrivateKeyPem());
        // An unrelated key beside the earlier one: the file may hold every key the service has ever signed with.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var previous = Write("previous.pem", other.ExportSubjectPublicKeyInfoPem() + "\n" + first.ExportSubjectPublicKeyInfoPem());

        long signedFirst;
        await using (var before = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), new Dictionary<string, string> { ["Ledger__SigningKeyPath"] = firstKey }))
        {
            await before.ClientAs("officer-k", Roles.SafeguardingOfficer).PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created);
            var checkpoint = await (await before.ClientAs("auditor-k", Roles.Auditor).PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK)).Json();
            signedFirst = checkpoint["treeSize"]!.GetValue<long>();
        }

        // The new key alone: the earlier checkpoint cannot be checked here, and the answer says so and what to do.
        await using (var after = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), new Dictionary<string, string> { ["Ledger__SigningKeyPath"] = secondKey }))
        {
            var auditor = after.ClientAs("auditor-k", Roles.Auditor);
            var unknown = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={signedFirst}").ShouldBe(HttpStatusCode.Conflict)).Json();
            unknown["type"]!.GetValue<string>().ShouldEndWith("/problems/unknown-signing-key");
            unknown["detail"]!.GetValue<string>().ShouldContain(Api.Infrastructure.Ledger.Checkpoint.KeyIdOf(first));
            unknown["detail"]!.GetValue<string>().ShouldContain("Ledger__PreviousPublicKeysPath");
            unknown["detail"]!.GetValue<string>().ShouldContain("holds no other");
            // Signing goes on with the new key, extending the tree the earlier key signed.
            await after.ClientAs("officer-k", Roles.SafeguardingOfficer).PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created);
            var signedSecond = (await (await auditor.PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK)).Json())["treeSize"]!.GetValue<long>();
            signedSecond.ShouldBeGreaterThan(signedFirst);
            (await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={signedSecond}").ShouldBe(HttpStatusCode.OK)).Json())["valid"]!.GetValue<bool>().ShouldBeTrue();
        }

        // The earlier key's public key given: its checkpoint verifies, and so does the new one.
        await using var told = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), new Dictionary<string, string>
        {
            ["Ledger__SigningKeyPath"] = secondKey,
            ["Ledger__PreviousPublicKeysPath"] = previous,
        });
        var verified = await (await told.ClientAs("auditor-k", Roles.Auditor).GetAsync($"/api/v1/audit/ledger/verify?treeSize={signedFirst}").ShouldBe(HttpStatusCode.OK)).Json();
        verified["valid"]!.GetValue<bool>().ShouldBeTrue();
        // An auditor who did not keep the earlier key finds it beside the current one, by the id the checkpoint names,
        // and checks the earlier checkpoint's signature with it themselves.
        var published = await (await told.ClientAs("auditor-k", Roles.Auditor).GetAsync("/api/v1/audit/checkpoints/public-key").ShouldBe(HttpStatusCode.OK)).Json();
        published["keyId"]!.GetValue<string>().ShouldBe(Api.Infrastructure.Ledger.Checkpoint.KeyIdOf(second));
        var earlier = await (await told.ClientAs("auditor-k", Roles.Auditor).GetAsync($"/api/v1/audit/checkpoints/{signedFirst}").ShouldBe(HttpStatusCode.OK)).Json();
        var named = published["previousKeys"]!.AsArray().Single(k => k!["keyId"]!.GetValue<string>() == earlier["keyId"]!.GetValue<string>())!;
        using var earlierKey = ECDsa.Create();
        earlierKey.ImportFromPem(named["publicKeyPem"]!.GetValue<string>());
        earlierKey.VerifyData(System.Text.Encoding.UTF8.GetBytes(earlier["note"]!.GetValue<string>()), Convert.FromBase64String(earlier["signature"]!.GetValue<string>()),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).ShouldBeTrue();
        published["previousKeys"]!.AsArray().Count.ShouldBe(2, "every key in the file, the unrelated one too");
    }

    [Fact]
    public void A_previous_keys_file_that_holds_no_public_key_stops_start_up()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "not a key");
        Should.Throw<Api.Infrastructure.Configuration.StartupRefusedException>(
                () => new Api.Infrastructure.Ledger.LedgerOptions { PreviousPublicKeysPath = file }.LoadPreviousKeys())
            .Message.ShouldStartWith("Ledger__PreviousPublicKeysPath");
        Should.Throw<Api.Infrastructure.Configuration.StartupRefusedException>(
                () => new Api.Infrastructure.Ledger.LedgerOptions { PreviousPublicKeysPath = file + ".missing" }.LoadPreviousKeys())
            .Message.ShouldStartWith("Ledger__PreviousPublicKeysPath");
        new Api.Infrastructure.Ledger.LedgerOptions().LoadPreviousKeys().ShouldBeEmpty();
    }
}
