using System.Net;
using System.Net.Http.Json;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>The HTTP edge: a rate limit per caller (429 with Retry-After), and CORS preflights answered before authentication.</summary>
public sealed class EdgeTests(EdgeTests.LimitedApi api) : IClassFixture<EdgeTests.LimitedApi>
{
    [Fact]
    public async Task A_caller_over_the_rate_limit_gets_429_with_retry_after_and_other_callers_do_not()
    {
        var flooding = api.ClientAs("flooding-officer", Roles.SafeguardingOfficer);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 12; i++)
        {
            var response = await flooding.GetAsync("/api/v1/policy/parameters");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited ??= response;
        }

        statuses.Count(s => s == HttpStatusCode.OK).ShouldBeInRange(6, 7, "a bucket of six, refilled one every ten seconds");
        limited.ShouldNotBeNull();
        var problem = await limited.ShouldBeProblem(HttpStatusCode.TooManyRequests);
        problem["type"]!.GetValue<string>().ShouldBe("/problems/rate-limited");
        limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);

        await api.ClientAs("another-officer", Roles.SafeguardingOfficer).GetAsync("/api/v1/policy/parameters").ShouldBe(HttpStatusCode.OK);
        await api.CreateClient().GetAsync("/health/live").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_cors_preflight_from_a_configured_origin_is_answered_without_a_token()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/cases");
        preflight.Headers.Add("Origin", "https://staff.example.org");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,idempotency-key");

        var response = await api.CreateClient().SendAsync(preflight);

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        response.Headers.GetValues("Access-Control-Allow-Origin").ShouldBe(["https://staff.example.org"]);
        string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant().ShouldContain("idempotency-key");
    }

    [Fact]
    public async Task A_cors_preflight_from_an_origin_not_configured_gets_no_permission()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/cases");
        preflight.Headers.Add("Origin", "https://evil.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        var response = await api.CreateClient().SendAsync(preflight);

        response.StatusCode.ShouldNotBe(HttpStatusCode.Unauthorized);
        response.Headers.Contains("Access-Control-Allow-Origin").ShouldBeFalse();
    }

    [Fact]
    public async Task An_answer_to_a_configured_origin_exposes_etag_and_location()
    {
        var client = api.ClientAs("cors-officer", Roles.SafeguardingOfficer);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/cases") { Content = JsonContent.Create(Scenario.OpenCaseBody()) };
        request.Headers.Add("Origin", "https://staff.example.org");
        var response = await client.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.GetValues("Access-Control-Expose-Headers").SelectMany(v => v.Split(',')).Select(v => v.Trim())
            .ShouldBe(["ETag", "Location", "Retry-After"], ignoreOrder: true);
    }

    public sealed class LimitedApi : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["RateLimit:PermitsPerMinute"] = "6",
            ["Cors:AllowedOrigins"] = "https://staff.example.org",
        };
    }
}
