using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>Health checks, Swagger UI, and start-up refusing unsafe configuration.</summary>
public sealed class HostingTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Live_and_ready_answer_anonymously_when_postgres_answers()
    {
        var client = api.ClientFor();
        await client.GetAsync("/health/live").ShouldBe(HttpStatusCode.OK);
        await client.GetAsync("/health/ready").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Ready_is_503_when_postgres_does_not_answer()
    {
        await using var broken = new UnreachableDatabase();
        await broken.ClientFor().GetAsync("/health/live").ShouldBe(HttpStatusCode.OK);
        await broken.ClientFor().GetAsync("/health/ready").ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Reads_and_writes_while_postgres_is_down_are_503_with_retry_after_and_nothing_of_the_failure()
    {
        await using var broken = new UnreachableDatabase();
        var client = broken.ClientFor(Roles.SafeguardingOfficer, Roles.Auditor);
        var id = Guid.NewGuid();

        var responses = await Task.WhenAll(
            client.GetAsync($"/api/v1/cases/{id}"),
            client.GetAsync("/api/v1/cases"),
            client.PostJson($"/api/v1/cases/{id}/notes", new { text = "written during the outage" }, idempotencyKey: "outage-note"),
            client.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "outage-open"));

        foreach (var response in responses)
        {
            var problem = await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable);
            problem["type"]!.GetValue<string>().ShouldEndWith("/problems/unavailable");
            response.Headers.RetryAfter.ShouldNotBeNull();
            var body = problem.ToJsonString();
            foreach (var leak in new[] { "127.0.0.1", "Npgsql", "Exception", "Port=1" }) body.ShouldNotContain(leak);
        }
    }

    [Fact]
    public async Task Swagger_ui_and_the_document_are_served_anonymously()
    {
        var client = api.ClientFor();
        var ui = await client.GetAsync("/swagger/index.html").ShouldBe(HttpStatusCode.OK);
        (await ui.Content.ReadAsStringAsync()).ShouldContain("swagger-ui");
        var doc = await client.GetAsync("/swagger/v1/swagger.json").ShouldBe(HttpStatusCode.OK);
        (await doc.Content.ReadAsStringAsync()).ShouldContain("/api/v1/cases/{id}/notes");
    }

    [Theory]
    [InlineData("Production", null, null, null, "No authentication configured")]
    [InlineData("Production", "https://login.example", "api", "a-development-signing-key-of-32-bytes!", "never be set together")]
    [InlineData("Development", "https://login.example", null, null, "go together")]
    [InlineData("Production", null, null, "too-short", "at least 32 bytes")]
    [InlineData("Production", null, null, "a-development-signing-key-of-32-bytes!", "Auth__AllowDevTokens=true")]
    [InlineData("Staging", null, null, "a-development-signing-key-of-32-bytes!", "Auth__AllowDevTokens=true")]
    [InlineData("Production", null, null, AuthOptions.CommittedDevelopmentKey, "committed in this repository", true)]
    [InlineData("Testing", null, null, AuthOptions.CommittedDevelopmentKey, "committed in this repository", true)]
    public void Unsafe_auth_configuration_stops_start_up(string environment, string? authority, string? audience, string? devKey, string message, bool allowDevTokens = false)
    {
        var auth = new AuthOptions { Authority = authority, Audience = audience, DevSigningKey = devKey, AllowDevTokens = allowDevTokens };
        Should.Throw<StartupRefusedException>(() => AuthSetup.Validate(auth, new Env(environment))).Message.ShouldContain(message);
    }

    [Theory]
    [InlineData("Auth__RoleClaim", "role name")]
    [InlineData("Auth__RoleClaim", "roles\n")]
    [InlineData("Auth__SubjectClaim", "\"oid\"")]
    [InlineData("Auth__SubjectClaim", "")]
    public void A_role_or_subject_claim_that_is_not_a_claim_name_stops_start_up(string key, string claim) =>
        Should.Throw<StartupRefusedException>(() => AuthSetup.Validate(Claims(key, claim, new AuthOptions { Authority = "https://login.example", Audience = "api" }),
            new Env("Production"))).Message.ShouldStartWith(key);

    [Theory]
    [InlineData("Auth__RoleClaim", "roles", "'role'")]
    [InlineData("Auth__SubjectClaim", "oid", "'sub'")]
    public void Another_role_or_subject_claim_is_for_the_identity_provider_not_development_tokens(string key, string claim, string standard)
    {
        AuthSetup.Validate(Claims(key, claim, new AuthOptions { Authority = "https://login.example", Audience = "api" }), new Env("Production"));
        Should.Throw<StartupRefusedException>(() => AuthSetup.Validate(Claims(key, claim, new AuthOptions { DevSigningKey = AuthOptions.CommittedDevelopmentKey }),
            new Env("Development"))).Message.ShouldContain($"development tokens always carry {standard}");
    }

    private static AuthOptions Claims(string key, string claim, AuthOptions auth)
    {
        if (key == "Auth__RoleClaim") auth.RoleClaim = claim;
        else auth.SubjectClaim = claim;
        return auth;
    }

    [Theory]
    [InlineData("Production", null, null, "a-development-signing-key-of-32-bytes!", true)]
    [InlineData("Production", "https://login.example", "safeguarding-api", null, false)]
    [InlineData("Development", null, null, AuthOptions.CommittedDevelopmentKey, false)]
    public void One_auth_mode_is_accepted(string environment, string? authority, string? audience, string? devKey, bool allowDevTokens) =>
        AuthSetup.Validate(new AuthOptions { Authority = authority, Audience = audience, DevSigningKey = devKey, AllowDevTokens = allowDevTokens }, new Env(environment));

    [Fact]
    public void The_refused_committed_key_is_the_one_in_the_development_settings()
    {
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json")))!;
        settings["Auth"]!["DevSigningKey"]!.GetValue<string>().ShouldBe(AuthOptions.CommittedDevelopmentKey);
    }

    [Fact]
    public void Policy_options_bind_iso_and_clock_durations_and_refuse_nonsense()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:UnifiedPolicyEffectiveFrom"] = "2025-06-01T00:00:00Z",
            ["Policy:RiskAssessmentValidFor"] = "PT12H",
            ["Policy:EmergencyRiskAssessmentValidFor"] = "00:30:00",
            ["Policy:MandatoryReportingDuty"] = "false",
        }).Build();
        var options = PolicyConfiguration.Bind(config);
        options.UnifiedPolicyEffectiveFrom.ShouldBe(NodaTime.Instant.FromUtc(2025, 6, 1, 0, 0));
        options.RiskAssessmentValidFor.ShouldBe(NodaTime.Duration.FromHours(12));
        options.EmergencyRiskAssessmentValidFor.ShouldBe(NodaTime.Duration.FromMinutes(30));
        options.MandatoryReportingDuty.ShouldBeFalse();
        options.TransparencyNoticeDue.ShouldBe(NodaTime.Duration.FromHours(24));

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:TransparencyNoticeDue"] = "tomorrow",
        }).Build();
        Should.Throw<StartupRefusedException>(() => PolicyConfiguration.Bind(bad)).Message.ShouldContain("Policy__TransparencyNoticeDue");
    }

    private sealed class Env(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "test";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    private sealed class UnreachableDatabase : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["ConnectionStrings:Marten"] = "Host=127.0.0.1;Port=1;Database=none;Username=none;Timeout=2",
        };
    }
}
