using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// <c>deploy/nginx/route-by-case.conf</c> (the plain-nginx form of the ingress's routing), run in Debian's nginx in
/// front of two instances that answer with their own name: every request on a case reaches one instance, whatever
/// the route; cases spread over both; everything else spreads too; what a client sends arrives unchanged; and when an
/// instance is gone its cases are answered by the other.
/// </summary>
public sealed class CaseRoutingTests : IAsyncLifetime
{
    private Echo first = null!, second = null!;
    private CaseRouter router = null!;
    // As most API clients: no cookies kept (a browser's requests are in the test below).
    private readonly HttpClient client = new(new HttpClientHandler { UseCookies = false }) { Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync()
    {
        first = await Echo.StartAsync("first");
        second = await Echo.StartAsync("second");
        router = await CaseRouter.StartAsync([first.Address, second.Address]);
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await router.DisposeAsync();
        await first.DisposeAsync();
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Every_request_on_a_case_reaches_the_same_instance_and_the_cases_spread_over_both()
    {
        var byInstance = new Dictionary<string, int>();
        for (var i = 0; i < 100; i++)
        {
            var id = Guid.NewGuid();
            var answered = new HashSet<string>();
            foreach (var (method, path) in new[]
            {
                (HttpMethod.Get, $"/api/v1/cases/{id}"),
                (HttpMethod.Post, $"/api/v1/cases/{id}/notes"),
                (HttpMethod.Post, $"/api/v1/cases/{id}/escalations"),
                (HttpMethod.Get, $"/api/v1/cases/{id}/history?limit=5"),
                (HttpMethod.Get, $"/api/v1/cases/{id}/policy"),
            })
            {
                answered.Add((await SendAsync(method, path)).Instance);
            }
            answered.Count.ShouldBe(1, $"case {i}'s requests reached {string.Join(" and ", answered)}");
            byInstance[answered.Single()] = byInstance.GetValueOrDefault(answered.Single()) + 1;
        }
        byInstance.Keys.Order().ShouldBe(["first", "second"]);
        byInstance.Values.Min().ShouldBeGreaterThan(20, string.Join(", ", byInstance));
    }

    [Fact]
    public async Task Requests_that_are_not_on_one_case_go_to_either_instance()
    {
        var answered = new HashSet<string>();
        for (var i = 0; i < 40; i++)
        {
            answered.Add((await SendAsync(HttpMethod.Post, "/api/v1/cases")).Instance);
            answered.Add((await SendAsync(HttpMethod.Get, "/api/v1/cases?status=Open")).Instance);
            // Not a case id: a list's query or a longer path segment is not routed as one.
            answered.Add((await SendAsync(HttpMethod.Get, $"/api/v1/cases/{Guid.NewGuid()}x/notes")).Instance);
        }
        answered.Order().ShouldBe(["first", "second"]);
    }

    /// <summary>
    /// A browser (it keeps cookies): its first answer sets the route cookie, and every request it sends off the case
    /// routes from then on reaches that one instance, the staff console's session there included; the way back from
    /// the identity provider too, which Lax lets the cookie go with. Different browsers spread over both instances.
    /// </summary>
    [Fact]
    public async Task A_browser_stays_with_one_instance_off_the_case_routes_and_browsers_spread_over_both()
    {
        var byInstance = new Dictionary<string, int>();
        for (var i = 0; i < 30; i++)
        {
            var cookies = new CookieContainer();
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
            using var first = await browser.GetAsync(new Uri(router.Address, "/signin"));
            var setCookie = first.Headers.GetValues("Set-Cookie").Single();
            setCookie.ShouldMatch("^sg_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax$");
            var answered = new HashSet<string> { (await first.Content.ReadAsStringAsync()).Split(' ')[0] };
            foreach (var (method, path) in new[]
            {
                (HttpMethod.Post, "/signin"), (HttpMethod.Get, "/signin-oidc?code=x&state=y"), (HttpMethod.Get, "/cases"),
                (HttpMethod.Get, $"/cases/{Guid.NewGuid()}"), (HttpMethod.Post, $"/cases/{Guid.NewGuid()}"), (HttpMethod.Get, "/api/v1/cases?status=Open"),
            })
            {
                using var request = new HttpRequestMessage(method, new Uri(router.Address, path));
                if (method == HttpMethod.Post) request.Content = new StringContent("a=b", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
                using var response = await browser.SendAsync(request);
                response.Headers.Contains("Set-Cookie").ShouldBeFalse("the cookie is set once");
                answered.Add((await response.Content.ReadAsStringAsync()).Split(' ')[0]);
            }
            answered.Count.ShouldBe(1, $"browser {i}'s requests reached {string.Join(" and ", answered)}");
            byInstance[answered.Single()] = byInstance.GetValueOrDefault(answered.Single()) + 1;
        }
        byInstance.Keys.Order().ShouldBe(["first", "second"]);

        // A cookie that is not one nginx set (forged, or from an older form) is replaced, not hashed.
        using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri(router.Address, "/cases"));
        forged.Headers.Add("Cookie", "sg_route=../../etc");
        using var answer = await client.SendAsync(forged);
        answer.Headers.GetValues("Set-Cookie").Single().ShouldStartWith("sg_route=");
    }

    [Fact]
    public async Task The_method_path_body_and_headers_reach_the_instance_as_sent()
    {
        var id = Guid.NewGuid();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(router.Address, $"/api/v1/cases/{id}/notes?x=1"))
        {
            Content = new StringContent("""{"text":"ünïcode ✓"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "token-value");
        request.Headers.Add("Idempotency-Key", "key-1");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));
        using var response = await client.SendAsync(request);
        var echoed = await response.Content.ReadAsStringAsync();

        echoed.ShouldContain($"POST /api/v1/cases/{id}/notes?x=1");
        echoed.ShouldContain("authorization=Bearer token-value");
        echoed.ShouldContain("idempotency-key=key-1");
        echoed.ShouldContain("if-match=\"7\"");
        echoed.ShouldContain("""body={"text":"ünïcode ✓"}""");
    }

    [Fact]
    public async Task When_an_instance_is_gone_its_cases_are_answered_by_the_other()
    {
        var cases = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToArray();
        var before = new Dictionary<Guid, string>();
        foreach (var id in cases) before[id] = (await SendAsync(HttpMethod.Post, $"/api/v1/cases/{id}/notes")).Instance;
        before.Values.ShouldContain("second");

        await second.DisposeAsync();

        foreach (var id in cases)
        {
            var (status, instance) = await SendAsync(HttpMethod.Post, $"/api/v1/cases/{id}/notes");
            status.ShouldBe(HttpStatusCode.OK);
            instance.ShouldBe("first", "the remaining instance answers every case");
        }
    }

    private async Task<(HttpStatusCode Status, string Instance)> SendAsync(HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, new Uri(router.Address, path));
        if (method == HttpMethod.Post) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body.Split(' ')[0]);
    }

    /// <summary>An instance that answers every request with its name and what it received.</summary>
    private sealed class Echo(WebApplication app, Uri address) : IAsyncDisposable
    {
        private bool stopped;

        public Uri Address { get; } = address;

        public static async Task<Echo> StartAsync(string name)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.Run(async context =>
            {
                var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
                var headers = string.Join(' ', new[] { "authorization", "idempotency-key", "if-match" }.Select(h => $"{h}={context.Request.Headers[h]}"));
                await context.Response.WriteAsync($"{name} {context.Request.Method} {context.Request.Path}{context.Request.QueryString} {headers} body={body}");
            });
            await app.StartAsync();
            return new Echo(app, new Uri(app.Urls.Single()));
        }

        public async ValueTask DisposeAsync()
        {
            if (stopped) return;
            stopped = true;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
