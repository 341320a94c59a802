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
            (await (await client.GetAsync(idle.Headers.Location)).Content.ReadAsStringAsync()).ShouldContain("Your session ended. Sessions end after 3 seconds without use and when you sign out in another tab.");
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
    public async Task A_session_lives_through_a_restart_any_instance_serves_it_and_signing_out_ends_it_on_every_one()
    {
        // Two instances as two pods have them: each with a home folder of its own, where data protection kept its keys
        // before they were in PostgreSQL (so each pod had a key ring, and a session, of its own).
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // A new database, both instances started at once (as a deploy starts pods): one makes the tables while the other
        // waits (before, both made Marten's functions and one failed to start, about one time in two), then the key
        // ring's first key, and neither logs an error doing so.
        var database = await ConsoleFixture.DatabaseAsync("sessions");
        Task<(System.Diagnostics.Process Process, Uri Address)> Instance() => ConsoleFixture.StartApiAsync(database, output,
            new Dictionary<string, string> { ["HOME"] = Directory.CreateTempSubdirectory("instance-home-").FullName });
        var starting = new[] { Instance(), Instance() };
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(s => s.IsCompletedSuccessfully)) (await started).Process.Kill(entireProcessTree: true);
            // Or the run's PostgreSQL is never stopped (a failed run left a cluster behind).
            await ConsoleFixture.ReleasePostgresAsync();
            throw;
        }
        var (first, second) = (await starting[0], await starting[1]);
        var restarted = first;
        try
        {
            output.Where(line => line.StartsWith("fail:", StringComparison.Ordinal)).ShouldBeEmpty(string.Join('\n', output));
            // Cookies belong to the host, not the port: one browser's cookies go to both instances, as behind one address.
            var cookies = new CookieContainer();
            HttpClient On(Uri address) => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = address };
            using var one = On(first.Address);
            using var two = On(second.Address);
            (await SignInAsync(one, "Officer Anywhere", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
            var form = await (await one.GetAsync("/cases/new")).Content.ReadAsStringAsync();

            // The other instance knows the session, and takes the form the first one made.
            var page = await two.GetAsync("/");
            page.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await page.Content.ReadAsStringAsync()).ShouldContain("officer-anywhere");
            var opened = await two.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "open-case", ["__RequestVerificationToken"] = AntiforgeryToken().Match(form).Groups[1].Value, ["Form.Key"] = "anywhere",
                ["Form.Channel"] = "Boards", ["Form.SourceReference"] = "opened-on-the-other-instance", ["Form.Summary"] = "Sent to an instance that did not make the page",
            }));
            opened.StatusCode.ShouldBe(HttpStatusCode.Found, await opened.Content.ReadAsStringAsync());
            opened.Headers.Location!.ToString().ShouldContain("/cases/");

            // The first instance killed and started again (a deploy, a pod rescheduled): still signed in there.
            first.Process.Kill(entireProcessTree: true);
            await first.Process.WaitForExitAsync();
            restarted = await ConsoleFixture.StartApiAsync(database, output,
                new Dictionary<string, string> { ["HOME"] = Directory.CreateTempSubdirectory("instance-home-").FullName });
            using var again = On(restarted.Address);
            var after = await again.GetAsync("/cases");
            after.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await after.Content.ReadAsStringAsync()).ShouldContain("opened-on-the-other-instance");

            // What PostgreSQL holds opens nothing by itself: the session's access token is sealed, the keys' secrets too.
            await using (var db = new Npgsql.NpgsqlConnection(database))
            {
                await db.OpenAsync();
                await using var rows = new Npgsql.NpgsqlCommand("select (select string_agg(data::text, '') from mt_doc_consolesession), (select string_agg(data::text, '') from mt_doc_dataprotectionkey)", db);
                await using var reader = await rows.ExecuteReaderAsync();
                await reader.ReadAsync();
                var (sessions, keys) = (reader.GetString(0), reader.GetString(1));
                sessions.ShouldNotContain("eyJhbGci", customMessage: "no JSON Web Token in the clear");
                sessions.ShouldNotContain("officer-anywhere");
                keys.ShouldContain("<key id=");
                keys.ShouldNotContain("<masterKey", customMessage: "each key's secret sealed under the key-encryption key");
            }

            // Signed out on one instance: the same cookie, sent again to another, is signed out there too.
            var kept = cookies.GetCookieHeader(second.Address);
            (await two.GetAsync("/signout")).StatusCode.ShouldBe(HttpStatusCode.Found);
            using var replay = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = restarted.Address };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/cases");
            request.Headers.Add("Cookie", kept);
            var replayed = await replay.SendAsync(request);
            replayed.StatusCode.ShouldBe(HttpStatusCode.Found);
            replayed.Headers.Location!.ToString().ShouldContain("/signin");
        }
        finally
        {
            foreach (var instance in new[] { first, second, restarted }.Distinct())
            {
                if (!instance.Process.HasExited) instance.Process.Kill(entireProcessTree: true);
                instance.Process.Dispose();
            }
            await ConsoleFixture.ReleasePostgresAsync();
        }
    }

    [Fact]
    public async Task With_PostgreSQL_down_every_page_says_so_and_never_claims_an_empty_list()
    {
        using var cluster = await SafeguardingCases.Testing.LocalCluster.StartAsync();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var connectionString = cluster.ConnectionString.Replace(";Include Error Detail=true", "", StringComparison.Ordinal) + ";Timeout=3;Command Timeout=10";
        var (api, address) = await ConsoleFixture.StartApiAsync(connectionString, output);
        try
        {
            var leadCookies = new CookieContainer();
            HttpClient Signed(CookieContainer? cookies = null, Uri? at = null) =>
                new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer() }) { BaseAddress = at ?? address };
            using var lead = Signed(leadCookies);
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

            // An instance started during the outage (a pod rescheduled) has no key ring yet: it reads it from PostgreSQL.
            // Its pages say the service is unavailable, as a page (503, Retry-After), not the API's JSON and not a page
            // that never comes; with PostgreSQL back it serves the session the other instance made.
            var (late, lateAddress) = await ConsoleFixture.StartApiAsync(connectionString, output, readyPath: "/health/live");
            try
            {
                using var stranger = Signed(at: lateAddress);
                var signIn = await stranger.GetAsync("/signin");
                signIn.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
                signIn.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
                signIn.Headers.RetryAfter.ShouldNotBeNull();
                var page = await signIn.Content.ReadAsStringAsync();
                page.ShouldContain("<h1>The service is unavailable</h1>");
                page.ShouldContain("role=\"alert\"");
                // As a person sees it, in Chromium: laid out with the console's style sheet, and accessible.
                var context = await console.Browser.NewContextAsync(new() { BaseURL = lateAddress.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
                var browserPage = await context.NewPageAsync();
                (await browserPage.GotoAsync("/cases"))!.Status.ShouldBe(503);
                await Microsoft.Playwright.Assertions.Expect(browserPage.GetByRole(Microsoft.Playwright.AriaRole.Alert)).ToContainTextAsync("cannot reach its database");
                await ConsoleFixture.ShouldBeAccessibleAsync(browserPage);
                await ConsoleFixture.ScreenshotAsync(browserPage, "service-unavailable", fullPage: false);
                await context.DisposeAsync();
                await cluster.RestartAsync();
                await ConsoleFixture.WaitUntilReadyAsync(late, lateAddress, output);
                using var leadThere = Signed(leadCookies, lateAddress);
                var home = await leadThere.GetAsync("/");
                home.StatusCode.ShouldBe(HttpStatusCode.OK);
                (await home.Content.ReadAsStringAsync()).ShouldContain("lead-outage");
            }
            finally
            {
                late.Kill(entireProcessTree: true);
                late.Dispose();
            }
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }
}
