using System.Net;
using Microsoft.Extensions.Configuration;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>Durations mean what they say; a setting the API cannot read stops it with one line naming the key.</summary>
public sealed class ConfigurationTests(ConfigurationTests.ClockDurations api) : IClassFixture<ConfigurationTests.ClockDurations>
{
    [Theory]
    [InlineData("PT24H", 24 * 60)]
    [InlineData("P1D", 24 * 60)]
    [InlineData("PT90M", 90)]
    [InlineData("P1DT2H", 26 * 60)]
    [InlineData("24:00:00", 24 * 60)]
    [InlineData("36:30:00", 36 * 60 + 30)]
    [InlineData("00:30:00", 30)]
    public void Durations_read_as_iso_8601_or_hours_minutes_seconds(string raw, int minutes) =>
        Settings.ParseDuration(raw).ShouldBe(Duration.FromMinutes(minutes));

    [Theory]
    [InlineData("1.00:00:00")]
    [InlineData("24")]
    [InlineData("P1M")]
    [InlineData("P1Y")]
    [InlineData("tomorrow")]
    [InlineData("24:60:00")]
    public void Ambiguous_or_unreadable_durations_are_refused(string raw) => Settings.ParseDuration(raw).ShouldBeNull();

    [Fact]
    public void A_notice_due_of_24_00_00_is_24_hours_not_24_days()
    {
        var options = PolicyConfiguration.Bind(Config(("Policy:TransparencyNoticeDue", "24:00:00")));
        options.TransparencyNoticeDue.ShouldBe(Duration.FromHours(24));
    }

    [Theory]
    [InlineData("Policy:TransparencyNoticeDue", "1.00:00:00", "Policy__TransparencyNoticeDue")]
    [InlineData("Policy:RiskAssessmentValidFor", "PT0S", "Policy__RiskAssessmentValidFor")]
    [InlineData("Policy:UnifiedPolicyEffectiveFrom", "April", "Policy__UnifiedPolicyEffectiveFrom")]
    [InlineData("Policy:MandatoryReportingDuty", "yes", "Policy__MandatoryReportingDuty")]
    [InlineData("Retention:Schedule:Other", "6 years", "Retention__Schedule__Other")]
    [InlineData("Retention:Schedule:ChildSafeguarding", "P0Y", "Retention__Schedule__ChildSafeguarding")]
    public void A_policy_value_that_cannot_be_read_stops_start_up_naming_the_key(string key, string value, string named) =>
        Should.Throw<StartupRefusedException>(() => PolicyConfiguration.Bind(Config((key, value)))).Message.ShouldStartWith(named);

    [Theory]
    [InlineData("1000")]
    [InlineData("0")]
    [InlineData("2097152")]
    [InlineData("many")]
    public void A_ledger_tree_chunk_that_is_not_a_power_of_two_stops_start_up(string value) =>
        Should.Throw<StartupRefusedException>(() => Api.Infrastructure.Ledger.LedgerOptions.Bind(Config(("Ledger:TreeChunk", value))))
            .Message.ShouldStartWith("Ledger__TreeChunk");

    [Fact]
    public void A_ledger_tree_chunk_defaults_to_1024() =>
        Api.Infrastructure.Ledger.LedgerOptions.Bind(Config()).TreeChunk.ShouldBe(1024);

    [Fact]
    public async Task The_parameters_in_force_are_served_as_iso_8601()
    {
        var body = await (await api.ClientFor(Roles.Clinician).GetAsync("/api/v1/policy/parameters").ShouldBe(HttpStatusCode.OK)).Json();

        body["transparencyNoticeDue"]!.GetValue<string>().ShouldBe("PT24H", "24:00:00 in configuration is 24 hours");
        body["riskAssessmentValidFor"]!.GetValue<string>().ShouldBe("PT12H");
        body["emergencyRiskAssessmentValidFor"]!.GetValue<string>().ShouldBe("PT1H");
        body["mandatoryReportDue"]!.GetValue<string>().ShouldBe("PT24H");
        body["maximumReportDelay"]!.GetValue<string>().ShouldBe("PT168H");
        body["mandatoryReportingDuty"]!.GetValue<bool>().ShouldBeTrue();
        body["unifiedPolicyEffectiveFrom"]!.GetValue<string>().ShouldBe("2025-04-01T00:00:00Z");
    }

    [Theory]
    [InlineData("Testing", ApiFactory.SigningKey, "true", "Policy__TransparencyNoticeDue is '1.00:00:00'")]
    [InlineData("Production", AuthOptions.CommittedDevelopmentKey, "true", "the development key committed in this repository")]
    [InlineData("Production", ApiFactory.SigningKey, "false", "set Auth__AllowDevTokens=true")]
    [InlineData("Production", ApiFactory.SigningKey, "true", "Privacy__KeyPath is not set")]
    public async Task The_api_process_refuses_to_start_with_one_line_and_a_non_zero_exit(string environment, string devKey, string allowDevTokens, string named)
    {
        var environmentVariables = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["ConnectionStrings__Marten"] = "Host=127.0.0.1;Port=1",
            ["Auth__DevSigningKey"] = devKey,
            ["Auth__AllowDevTokens"] = allowDevTokens,
        };
        if (environment == "Testing") environmentVariables["Policy__TransparencyNoticeDue"] = "1.00:00:00";

        var (exit, stdout, stderr) = await ApiProcess.RunToExitAsync(environmentVariables);

        exit.ShouldBe(StartupRefusedException.ExitCode);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, stderr);
        lines[0].ShouldContain(named);
        stdout.ShouldNotContain("   at ");
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void Outside_development_a_missing_ledger_key_stops_start_up(string environment) =>
        Should.Throw<StartupRefusedException>(() => new Api.Infrastructure.Ledger.LedgerOptions().LoadKey(new Env(environment)))
            .Message.ShouldStartWith("Ledger__SigningKeyPath");

    [Fact]
    public void A_ledger_key_that_is_not_an_ecdsa_p256_pem_stops_start_up()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "not a key");
            Should.Throw<StartupRefusedException>(() => new Api.Infrastructure.Ledger.LedgerOptions { SigningKeyPath = file }.LoadKey(new Env("Production")))
                .Message.ShouldContain("Ledger__SigningKeyPath");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private sealed class Env(string name) : Microsoft.Extensions.Hosting.IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    /// <summary>The API with durations written in the clock form.</summary>
    public sealed class ClockDurations : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Policy:TransparencyNoticeDue"] = "24:00:00",
            ["Policy:RiskAssessmentValidFor"] = "12:00:00",
        };
    }
}
