using System.Net;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// The console's promises that need an API process of their own (a short idle timeout, a PostgreSQL that crashes):
/// idle sign-out with the form shown back, and an outage said in words on every page. In the collection of journeys
/// with their own API processes, which runs beside the console collection.
/// </summary>
[Collection(OwnApiCollection.Name)]
public sealed class SessionAndOutageTests(OwnApiFixture console)
{
    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string role) => ConsoleSecurityTests.SignInAsync(client, name, role);

    private static System.Text.RegularExpressions.Regex AntiforgeryToken() => ConsoleSecurityTests.AntiforgeryToken();

    [Fact]
    public async Task A_session_idle_past_Console_IdleTimeout_is_signed_out_and_a_form_sent_then_is_shown_back()
    {
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await ConsoleFixture.StartApiAsync(console.ConnectionString, output, new Dictionary<string, string> { ["Console__IdleTimeout"] = "PT3S" });
        try
        {
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
            (await SignInAsync(client, "Officer Idle", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
            (await client.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
            var form = await (await client.GetAsync("/cases/new")).Content.ReadAsStringAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            // A form sent now is shown back, not dropped on the way to sign-in (UseEndedSessionForms), and records nothing.
            var sent = await client.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "open-case", ["__RequestVerificationToken"] = AntiforgeryToken().Match(form).Groups[1].Value, ["Form.Key"] = "idle",
                ["Form.Channel"] = "Boards", ["Form.SourceReference"] = "idle-post", ["Form.Summary"] = "Written while the session ran out",
            }));
            sent.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            (await sent.Content.ReadAsStringAsync()).ShouldContain("Written while the session ran out");
            var idle = await client.GetAsync("/");
            idle.StatusCode.ShouldBe(HttpStatusCode.Found);
            idle.Headers.Location!.ToString().ShouldContain("/signin");
            // The sign-in page says why they are there, which a browser that was never signed in is not told.
            idle.Headers.Location!.ToString().ShouldContain("ended=1");
            (await (await client.GetAsync(idle.Headers.Location)).Content.ReadAsStringAsync()).ShouldContain("Your session ended. Sessions end after 3 seconds without use and when the service restarts.");
            using (var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = address })
                (await stranger.GetAsync("/")).Headers.Location!.ToString().ShouldNotContain("ended");
            (await SignInAsync(client, "Officer Idle", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
            (await (await client.GetAsync("/cases")).Content.ReadAsStringAsync()).ShouldNotContain("idle-post");
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }

    [Fact]
    public async Task With_PostgreSQL_down_every_page_says_so_and_never_claims_an_empty_list()
    {
        using var cluster = await SafeguardingCases.Testing.LocalCluster.StartAsync();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await ConsoleFixture.StartApiAsync(
            cluster.ConnectionString.Replace(";Include Error Detail=true", "", StringComparison.Ordinal) + ";Timeout=3;Command Timeout=10", output);
        try
        {
            HttpClient Signed() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
            using var lead = Signed();
            using var auditor = Signed();
            (await SignInAsync(lead, "Lead Outage", "SafeguardingLead")).StatusCode.ShouldBe(HttpStatusCode.Found);
            (await SignInAsync(auditor, "Auditor Outage", "Auditor")).StatusCode.ShouldBe(HttpStatusCode.Found);
            // Up, an empty store's pages say they are empty.
            (await (await auditor.GetAsync("/audit")).Content.ReadAsStringAsync()).ShouldContain("Nobody has broken the glass since then.");
            (await (await lead.GetAsync("/")).Content.ReadAsStringAsync()).ShouldContain("Nothing waiting.");

            await cluster.CrashAsync();
            var claims = new[] { "Nothing due.", "Nothing waiting.", "No cases match.", "No alerts.", "No decisions in these dates.", "No checkpoint has been signed yet.",
                "No escalation since then.", "Nobody has broken the glass since then.", "No export left the service", "No override has been requested since then.",
                "No endpoint is registered.", "Nothing has been sent to this endpoint yet." };
            foreach (var (client, path) in new[] { (lead, "/"), (lead, "/cases"), (lead, "/alerts"), (lead, "/reports"), (lead, "/webhooks"), (lead, $"/webhooks/{Guid.NewGuid()}"), (auditor, "/audit") })
            {
                var response = await client.GetAsync(path);
                response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
                var page = await response.Content.ReadAsStringAsync();
                page.ShouldContain("role=\"alert\"", customMessage: path);
                foreach (var claim in claims) page.ShouldNotContain(claim, customMessage: $"{path} says \"{claim}\" while it could read nothing");
            }
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }
}
