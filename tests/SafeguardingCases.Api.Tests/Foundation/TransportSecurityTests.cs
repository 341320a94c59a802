using System.Diagnostics;
using System.Net;
using System.Text;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// What an attacker on the wire, in a browser cache or with a forged token meets: case answers never cached or
/// sniffed; tokens only of the expected algorithm and lifetime, refused without saying why; HTTPS required when
/// configured, with forwarded headers believed only from configured proxies; no development settings shipped.
/// </summary>
public sealed class TransportSecurityTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Every_api_answer_is_no_store_and_nosniff_success_refusal_and_problem_alike()
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var created = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created);
        var id = (await created.Json())["id"]!.GetValue<Guid>();
        var answers = new[]
        {
            created,
            await officer.GetAsync($"/api/v1/cases/{id}"),
            await officer.GetAsync($"/api/v1/cases/{Guid.NewGuid()}"),
            await api.CreateClient().GetAsync($"/api/v1/cases/{id}"),
            await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "" }),
        };
        answers.Select(a => (int)a.StatusCode).ShouldBe([201, 200, 404, 401, 400]);
        foreach (var answer in answers)
        {
            answer.Headers.CacheControl!.NoStore.ShouldBeTrue($"{answer.StatusCode}");
            answer.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        }
    }

    [Fact]
    public async Task A_forged_alg_none_token_is_401_and_WWW_Authenticate_gives_no_reason()
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var iat = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var forged = $"{B64("""{"alg":"none","typ":"JWT"}""")}.{B64($$"""{"sub":"lead-1","name":"x","role":"SafeguardingLead","iss":"safeguarding-dev","aud":"safeguarding-api","iat":{{iat}},"exp":{{exp}}}""")}.";
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", forged);

        var response = await client.GetAsync("/api/v1/cases");

        await response.ShouldBeProblem(HttpStatusCode.Unauthorized);
        var challenge = string.Join(" ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        challenge.ShouldBe("Bearer", "no error, error_description or reason for a forger to learn from");
    }

    [Fact]
    public async Task A_development_token_living_longer_than_12_hours_is_401()
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
        var now = DateTime.UtcNow;
        var token = handler.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = AuthOptions.DevIssuer,
            Audience = AuthOptions.DevAudience,
            Claims = new Dictionary<string, object> { ["sub"] = "officer-1", ["name"] = "Officer", ["role"] = Roles.SafeguardingOfficer },
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddHours(13),
            SigningCredentials = new(DevTokens.SigningKey(ApiFactory.SigningKey), Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha256),
        });
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await (await client.GetAsync("/api/v1/cases")).ShouldBeProblem(HttpStatusCode.Unauthorized);

        Should.Throw<ArgumentOutOfRangeException>(() => DevTokens.Mint(ApiFactory.SigningKey, "s", "n", [Roles.Auditor], TimeSpan.FromHours(13)));
        await api.ClientAs("officer-1", Roles.SafeguardingOfficer).GetAsync("/api/v1/cases").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_signed_with_HS384_is_401_only_HS256_is_accepted_for_development_tokens()
    {
        var handler = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler();
        var key = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes(ApiFactory.SigningKey + ApiFactory.SigningKey));
        var token = handler.CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = AuthOptions.DevIssuer,
            Audience = AuthOptions.DevAudience,
            Claims = new Dictionary<string, object> { ["sub"] = "officer-1", ["role"] = Roles.SafeguardingOfficer },
            IssuedAt = DateTime.UtcNow,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new(key, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.HmacSha384),
        });
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await (await client.GetAsync("/api/v1/cases")).ShouldBeProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task With_https_required_plain_http_is_redirected_unless_a_known_proxy_says_https_and_health_probes_and_local_calls_are_not()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("transport");
        var settings = new Dictionary<string, string> { ["Http__RequireHttps"] = "true", ["Http__KnownProxies"] = "127.0.0.1" };
        await using (var behindProxy = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), settings))
        {
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = behindProxy.Address };
            // A client behind the proxy speaking plain HTTP: redirected.
            using var relayed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/policy/parameters");
            relayed.Headers.Add("X-Forwarded-For", "203.0.113.7");
            var plain = await client.SendAsync(relayed);
            plain.StatusCode.ShouldBe(HttpStatusCode.PermanentRedirect);
            plain.Headers.Location!.Scheme.ShouldBe("https");
            // The console's own call from this process (loopback, not relayed) never crosses a network: not redirected.
            (await client.GetAsync("/api/v1/policy/parameters")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

            using var proxied = new HttpRequestMessage(HttpMethod.Get, "/api/v1/policy/parameters");
            proxied.Headers.Add("X-Forwarded-For", "203.0.113.7");
            proxied.Headers.Add("X-Forwarded-Proto", "https");
            var viaProxy = await client.SendAsync(proxied);
            viaProxy.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the known proxy terminated TLS: no redirect, the request goes on to authentication");
            viaProxy.Headers.GetValues("Strict-Transport-Security").Single().ShouldContain("max-age=31536000");

            (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // No proxy configured: the same header from the same address is not believed.
        settings.Remove("Http__KnownProxies");
        await using var direct = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), settings);
        using var directClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = direct.Address };
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/api/v1/policy/parameters");
        spoofed.Headers.Add("X-Forwarded-Proto", "https");
        (await directClient.SendAsync(spoofed)).StatusCode.ShouldBe(HttpStatusCode.PermanentRedirect);
    }

    [Fact]
    public async Task The_published_api_carries_no_development_settings()
    {
        var output = Directory.CreateTempSubdirectory("publish-");
        try
        {
            var project = Path.Combine(Repository.Root, "src", "SafeguardingCases.Api", "SafeguardingCases.Api.csproj");
            // The configuration these tests were built in (the API is built with them): published as built, not rebuilt.
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", configuration, "--no-build", "-o", output.FullName, "-nologo", "-v", "quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var publish = Process.Start(start)!;
            var stdout = publish.StandardOutput.ReadToEndAsync();
            var stderr = publish.StandardError.ReadToEndAsync();
            await publish.WaitForExitAsync();
            publish.ExitCode.ShouldBe(0, await stdout + await stderr);

            File.Exists(Path.Combine(output.FullName, "SafeguardingCases.Api.dll")).ShouldBeTrue();
            File.Exists(Path.Combine(output.FullName, "appsettings.json")).ShouldBeTrue();
            Directory.GetFiles(output.FullName, "appsettings.Development*.json").ShouldBeEmpty();
            foreach (var file in Directory.GetFiles(output.FullName, "*.json"))
                (await File.ReadAllTextAsync(file)).ShouldNotContain(AuthOptions.CommittedDevelopmentKey, customMessage: file);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
