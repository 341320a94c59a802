using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// The console signing in at an OpenID Connect provider (the test's own), each journey with API processes of its own
/// configured for it; in their own collection, beside the console collection's journeys.
/// </summary>
[Collection(OwnApiCollection.Name)]
public sealed class OpenIdConnectJourneys(OwnApiFixture console)
{
    /// <summary>
    /// Production sign-in, end to end: the console's OpenID Connect sign-in (authorization code with PKCE) at an identity
    /// provider, and the API accepting that provider's access tokens through its discovery document and keys, with no
    /// development key anywhere. Every other test signs in with development tokens.
    /// </summary>
    [Fact]
    public async Task Signing_in_at_an_OpenID_Connect_provider_reaches_the_console_and_the_API_takes_its_tokens_and_no_development_token()
    {
        await using var provider = await TestIdentityProvider.StartAsync(("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer"));
        // The token given at sign-in has lapsed by the time it is used, as an hour-long one has after an hour's work:
        // the console renews it with the refresh token (offline_access) before any call, or the person is signed out.
        provider.SignInTokenLifetime = TimeSpan.FromMinutes(-2);
        // Roles in a "roles" claim, as Microsoft Entra ID puts its app roles, and the API and console told so
        // (Auth__RoleClaim); the other journey keeps the default "role".
        provider.RoleClaim = "roles";
        // And, as Entra ID's, a "sub" for each application (the console's ID token and the API's access token would name
        // the officer twice) and an "oid" naming the person: the service told to read that (Auth__SubjectClaim).
        provider.PairwiseSubjects = true;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await StartWithProviderAsync(provider, "offline_access", output, roleClaim: "roles", subjectClaim: "oid");
        try
        {
            var context = await console.Browser.NewContextAsync(new() { BaseURL = address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/cases");
            await Journeys.ArrivesAtAsync(page, new Regex("/signin"));
            await Assertions.Expect(page.GetByText("Sign in with your organisation's account.")).ToBeVisibleAsync();
            await ConsoleFixture.ShouldBeAccessibleAsync(page);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Oidc" }).ClickAsync();

            // Back at the console, signed in as the provider says, on the page asked for.
            await Journeys.ArrivesAtAsync(page, new Regex("/cases$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cases");
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc (SafeguardingOfficer; sign-in name officer-oidc-7)")).ToBeVisibleAsync();
            provider.RefreshGrants.ShouldBe(1, "the lapsed token renewed once, then kept for the hour the new one lasts");
            // Every read and command goes to the API with the provider's access token: a case opened, a note added.
            var id = await Journeys.OpenCaseAsync(page, "chat-oidc", 15, "Worried about home");
            await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Called back through the provider's sign-in");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
            await Assertions.Expect(Journeys.Timeline(page).Filter(new() { HasText = "Called back through the provider's sign-in" })).ToHaveCountAsync(1);

            // Sign out ends the session at the provider too: on a shared computer the next person to press Sign in is
            // asked who they are at the provider, not signed in again as the last one (single sign-on would do that).
            await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/signin$"));
            provider.EndedSessions.ShouldBe(1);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Oidc" })).ToBeVisibleAsync();
            (await page.GotoAsync("/cases"))!.Url.ShouldContain("/signin", customMessage: "not signed in again until someone continues at the provider");

            // A refresh token the provider refuses (expired, revoked): the console session ends at once, not at the
            // first call the API refuses.
            // (The provider's page was shown a moment ago, so it signs straight back.)
            provider.RefuseRefreshGrants = true;
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/signin"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Sign in");
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("when your organisation's account asks you to sign in again");
            provider.RefreshGrants.ShouldBe(2);

            // The provider down when a token still good for a minute and a half is due for renewal: the page works on the
            // token it has, the session is kept, and the next request asks again, once the provider is back.
            (provider.RefuseRefreshGrants, provider.RefreshGrantsUnavailable, provider.SignInTokenLifetime) = (false, true, TimeSpan.FromSeconds(90));
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/cases$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "chat-oidc" })).ToBeVisibleAsync();
            var tried = provider.RefreshGrants;
            tried.ShouldBeGreaterThan(2, "a renewal was asked for, and not answered");
            provider.RefreshGrantsUnavailable = false;
            // Back, and several pages asked for at once (tabs opened together): one renewal between them. A second use of
            // the refresh token the provider has just rotated would be refused as theft, and sign the person out.
            var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => page.Context.APIRequest.GetAsync("/cases")));
            foreach (var answer in answers)
            {
                answer.Status.ShouldBe(200);
                answer.Url.ShouldEndWith("/cases", customMessage: "not sent to sign in");
                (await answer.TextAsync()).ShouldContain("chat-oidc");
            }
            provider.RefreshGrants.ShouldBe(tried + 1);
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc")).ToBeVisibleAsync();
            provider.RefreshGrants.ShouldBe(tried + 1, "renewed once the provider was back, for the hour the new token lasts");

            // Roles changed at the provider during a session (someone made a lead; someone's role taken away): the console
            // takes them from the ID token each renewal brings, as the API takes them from the access token, instead of
            // showing the sign-in's role (its forms, its queues) until the session ends.
            provider.RenewedTokenLifetime = TimeSpan.FromSeconds(90);
            await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/signin$"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Oidc" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc (SafeguardingOfficer; sign-in name officer-oidc-7)")).ToBeVisibleAsync();
            provider.RolesNow["officer-oidc-7"] = "SafeguardingLead";
            await page.GotoAsync("/");
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc (SafeguardingLead; sign-in name officer-oidc-7)")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overrides awaiting a second lead" })).ToBeVisibleAsync();
            // The provider rotates its signing key: the next renewal's ID token, and the access token the API is then sent,
            // are signed with a key neither the console nor the API has read. Both read the provider's keys again; the
            // person carries on, signed in, their case read through the API.
            provider.RotateKey();
            using (var rotated = new HttpRequestMessage(HttpMethod.Get, new Uri(address, $"/api/v1/cases/{id}")))
            {
                // The API first, with a token signed with the new key: taken on its first use, not refused (401) until
                // a read of the keys in the background lands.
                rotated.Headers.Authorization = new("Bearer", provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingLead"));
                using var direct = new HttpClient();
                (await direct.SendAsync(rotated)).StatusCode.ShouldBe(HttpStatusCode.OK);
            }
            await page.GotoAsync($"/cases/{id}");
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc (SafeguardingLead; sign-in name officer-oidc-7)")).ToBeVisibleAsync();
            await Assertions.Expect(Journeys.Timeline(page).Filter(new() { HasText = "Called back through the provider's sign-in" })).ToHaveCountAsync(1);
            provider.RolesNow["officer-oidc-7"] = "";
            await page.GotoAsync("/cases");
            await Journeys.ArrivesAtAsync(page, new Regex("/signin"));
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("when your organisation's account asks you to sign in again");
            (await page.GotoAsync("/cases"))!.Url.ShouldContain("/signin", customMessage: "no session with no role");
            output.ShouldContain(line => line.Contains("role was changed at the identity provider", StringComparison.Ordinal));
            output.ShouldContain(line => line.Contains("no longer has a role in this service", StringComparison.Ordinal) && line.Contains("'roles' claim", StringComparison.Ordinal));
            output.ShouldNotContain(line => line.Contains("Officer Oidc", StringComparison.Ordinal) || line.Contains("officer-oidc-7", StringComparison.Ordinal), "who it was stays out of the log");

            // The API: the provider's token for its audience is taken, one for another audience and a development token are not.
            using var http = new HttpClient { BaseAddress = address };
            async Task<HttpStatusCode> Read(string token)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cases/{id}");
                request.Headers.Authorization = new("Bearer", token);
                return (await http.SendAsync(request)).StatusCode;
            }
            (await Read(provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer"))).ShouldBe(HttpStatusCode.OK);
            // One person, one name: the note the console added with the API's access token is recorded as the officer
            // the console shows signed in (their oid), not as the access token's own "sub".
            using (var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cases/{id}/history"))
            {
                request.Headers.Authorization = new("Bearer", provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer"));
                var history = await (await http.SendAsync(request)).Content.ReadAsStringAsync();
                history.ShouldContain("\"officer-oidc-7\"");
                history.ShouldNotContain("pairwise-");
            }
            (await Read(provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer", audience: "another-api"))).ShouldBe(HttpStatusCode.Unauthorized);
            // Roles in a claim the API was not told of are not roles: signed in, but no staff role.
            (await Read(provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer", roleClaim: "role"))).ShouldBe(HttpStatusCode.Forbidden);
            (await Read(SafeguardingCases.Api.Infrastructure.Auth.DevTokens.Mint(SafeguardingCases.Api.Infrastructure.Auth.AuthOptions.CommittedDevelopmentKey,
                "officer-oidc-7", "Officer Oidc", ["SafeguardingOfficer"], TimeSpan.FromMinutes(5)))).ShouldBe(HttpStatusCode.Unauthorized);
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }

    /// <summary>
    /// When signing in at the provider does not work: the provider down (the console's sign-in page says so with 503 and
    /// Retry-After, and the API answers its tokens 503, not 401), then back (signing in works at once), the person
    /// pressing Cancel there, and a callback sent by hand: each lands on the sign-in page saying it did not complete,
    /// never on a 500 or a JSON error.
    /// </summary>
    [Fact]
    public async Task When_the_provider_is_down_or_sign_in_there_is_cancelled_the_console_says_so_and_nothing_is_a_500()
    {
        await using var provider = await TestIdentityProvider.StartAsync(("officer-oidc-8", "Officer Eight", "SafeguardingOfficer"));
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await StartWithProviderAsync(provider, output: output);
        try
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = address };
            async Task<HttpResponseMessage> Read(string token)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/cases");
                request.Headers.Authorization = new("Bearer", token);
                return await http.SendAsync(request);
            }
            var token = provider.AccessToken("officer-oidc-8", "Officer Eight", "SafeguardingOfficer");

            // The provider is down before anyone has signed in: nothing has its keys or its sign-in address yet.
            provider.Unavailable = true;
            var context = await console.Browser.NewContextAsync(new() { BaseURL = address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            var answer = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Request.Method == "POST");
            answer.Status.ShouldBe(503);
            (await answer.HeaderValueAsync("retry-after")).ShouldBe("30");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Your organisation's sign-in service is not answering");
            await ConsoleFixture.ShouldBeAccessibleAsync(page);
            await ConsoleFixture.ScreenshotAsync(page, "sign-in-provider-down");
            // The API cannot check the provider's tokens without its keys: a 503 to try again, not a 401 that reads "sign in again".
            using (var down = await Read(token))
            {
                down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
                down.Headers.RetryAfter.ShouldNotBeNull();
                (await down.Content.ReadAsStringAsync()).ShouldContain("/problems/unavailable");
            }

            // Back up: both work again with no restart (the API asks again after a back-off of a second or two here;
            // at most 30 s after a long outage).
            provider.Unavailable = false;
            var until = DateTime.UtcNow.AddSeconds(15);
            HttpStatusCode status;
            while ((status = (await Read(token)).StatusCode) == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until) await Task.Delay(250);
            status.ShouldBe(HttpStatusCode.OK);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

            // Cancel at the provider: back at the sign-in page, told it did not complete, not signed in.
            await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/signin\\?failed=1$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("You are not signed in");
            await ConsoleFixture.ShouldBeAccessibleAsync(page);
            (await page.GotoAsync("/cases"))!.Url.ShouldContain("/signin");

            // And then signing in works (straight back: the provider's page was shown, so it has a session, as a
            // provider keeps one when the person signed in there and then declined).
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/cases$"));
            await Assertions.Expect(page.GetByText("Signed in as Officer Eight")).ToBeVisibleAsync();

            // A callback sent by hand (no sign-in began, or its state forged): the sign-in page, never a 500.
            using (var forged = await http.PostAsync("/signin-oidc", new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = "x", ["state"] = "forged" })))
            {
                forged.StatusCode.ShouldBe(HttpStatusCode.Redirect);
                forged.Headers.Location!.ToString().ShouldBe("/signin?failed=1");
            }
            using (var bare = await http.GetAsync("/signin-oidc"))
                bare.StatusCode.ShouldBe(HttpStatusCode.Redirect);

            // Someone the provider knows but who has no role in this service (never given one, or given it in a claim
            // the service was not told of): not signed in, and told why, rather than a console of empty pages and 403s.
            provider.Person = ("volunteer-oidc-9", "Volunteer Nine", "Volunteer");
            var other = await (await console.Browser.NewContextAsync(new() { BaseURL = address.ToString(), Locale = "en-GB" })).NewPageAsync();
            await other.GotoAsync("/signin");
            await other.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await other.GetByRole(AriaRole.Button, new() { Name = "Continue as Volunteer Nine" }).ClickAsync();
            await Journeys.ArrivesAtAsync(other, new Regex("/signin\\?failed=no-role$"));
            await Assertions.Expect(other.GetByRole(AriaRole.Alert)).ToContainTextAsync("Your account has no role in this service");
            await ConsoleFixture.ShouldBeAccessibleAsync(other);
            await ConsoleFixture.ScreenshotAsync(other, "sign-in-no-role");
            (await other.GotoAsync("/cases"))!.Url.ShouldContain("/signin", customMessage: "no console session for someone with no role");
            await other.GotoAsync("/signin?failed=no-role");
            // Pressing Sign in there would sign them straight back in at the provider as the same account (a shared
            // computer, or the wrong one of their accounts): the page offers to end that session first.
            var ended = provider.EndedSessions;
            await other.GetByRole(AriaRole.Button, new() { Name = "Use another account" }).ClickAsync();
            await Journeys.ArrivesAtAsync(other, new Regex("/signin$"));
            provider.EndedSessions.ShouldBe(ended + 1);
            provider.Person = ("officer-oidc-8", "Officer Eight", "SafeguardingOfficer");
            await other.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await other.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Eight" }).ClickAsync();
            await Journeys.ArrivesAtAsync(other, new Regex("/$"));
            await Assertions.Expect(other.GetByText("Signed in as Officer Eight")).ToBeVisibleAsync();
            output.ShouldContain(line => line.Contains("no role in this service", StringComparison.Ordinal) && line.Contains("sub, name, role", StringComparison.Ordinal));
            output.ShouldNotContain(line => line.Contains("Volunteer", StringComparison.Ordinal), "who it was stays out of the log");
            output.ShouldNotContain(line => line.Contains("Unhandled exception", StringComparison.Ordinal));
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }

    /// <summary>
    /// Sign out where the provider offers no end-session endpoint (no RP-initiated logout, as Google's discovery
    /// document has none): the console session ends all the same, and the sign-in page says the account at the provider
    /// is still signed in on this browser and what to do about it on a shared computer; never a 500 with the session kept.
    /// </summary>
    [Fact]
    public async Task Signing_out_where_the_provider_cannot_end_its_session_ends_the_console_session_and_says_what_is_left()
    {
        await using var provider = await TestIdentityProvider.StartAsync(("officer-oidc-10", "Officer Ten", "SafeguardingOfficer"));
        provider.OffersEndSession = false;
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await StartWithProviderAsync(provider, output: output);
        try
        {
            var context = await console.Browser.NewContextAsync(new() { BaseURL = address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Ten" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/$"));
            await Assertions.Expect(page.GetByText("Signed in as Officer Ten")).ToBeVisibleAsync();

            var answer = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync(), r => r.Url.EndsWith("/signout", StringComparison.Ordinal));
            answer.Status.ShouldBe(302);
            await Journeys.ArrivesAtAsync(page, new Regex("/signin\\?signedout=console-only$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("still signed in to your organisation's account");
            await ConsoleFixture.ShouldBeAccessibleAsync(page);
            await ConsoleFixture.ScreenshotAsync(page, "signed-out-console-only");
            (await page.GotoAsync("/cases"))!.Url.ShouldContain("/signin", customMessage: "the console session ended");
            provider.EndedSessions.ShouldBe(0);
            // What the page warns of: Sign in here signs straight back in at the provider as the same account.
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Journeys.ArrivesAtAsync(page, new Regex("/cases$"));
            await Assertions.Expect(page.GetByText("Signed in as Officer Ten")).ToBeVisibleAsync();
            output.ShouldNotContain(line => line.Contains("Unhandled exception", StringComparison.Ordinal));
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }

    /// <summary>
    /// Two instances behind <c>deploy/nginx/route-by-case.conf</c> (Debian's nginx), as behind the ingress: each
    /// browser signs in at the identity provider and works. The console keeps a session in the instance that signed the
    /// person in, so the way back from the provider must reach the instance that began the sign-in, and every page after
    /// it the one holding the session: the route cookie is SameSite=Lax and the provider answers with a GET
    /// (response_mode=query), which that cookie goes with; a cross-site POST (form_post) would go without it.
    /// </summary>
    [Fact]
    public async Task Behind_a_proxy_in_front_of_two_instances_each_browser_signs_in_at_the_provider_and_works_on_one()
    {
        await using var provider = await TestIdentityProvider.StartAsync(("officer-oidc-11", "Officer Eleven", "SafeguardingOfficer"));
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // Each with a data protection key ring of its own, as pods with no shared key store have: neither can read what
        // the other sealed in a cookie (the sign-in's correlation cookie, the session's).
        var started = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            StartWithProviderAsync(provider, output: output, home: Directory.CreateTempSubdirectory("instance-home-").FullName)));
        var ((first, firstAddress), (second, secondAddress)) = (started[0], started[1]);
        try
        {
            await using var proxy = await SafeguardingCases.Testing.CaseRouter.StartAsync([firstAddress, secondAddress]);
            // Several browsers, so that sign-ins begin on both instances (the proxy picks one at random for a browser
            // without its cookie): with the handler's form_post, each sign-in came back to the other instance one time
            // in two, and three browsers found it seven runs in eight.
            for (var i = 0; i < 3; i++)
            {
                var context = await console.Browser.NewContextAsync(new() { BaseURL = proxy.Address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
                var page = await context.NewPageAsync();
                await page.GotoAsync("/signin");
                var authorize = await page.RunAndWaitForRequestAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
                    r => r.Url.StartsWith(provider.Issuer + "/authorize", StringComparison.Ordinal));
                // Asked to come back with a GET (query, the code flow's default, so no response_mode at all), which the Lax
                // route cookie goes with: checked every run, where the browsers find a form_post only by chance.
                authorize.Url.ShouldContain("response_type=code");
                authorize.Url.ShouldNotContain("response_mode");
                await page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Eleven" }).ClickAsync();
                await Journeys.ArrivesAtAsync(page, new Regex("/$"));
                await Assertions.Expect(page.GetByText("Signed in as Officer Eleven")).ToBeVisibleAsync();
                await Journeys.OpenCaseAsync(page, $"chat-proxy-{i}", 15, "Opened behind the proxy");
                await page.GetByLabel("Note", new() { Exact = true }).FillAsync($"Note {i} behind the proxy");
                await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
                await Assertions.Expect(Journeys.Timeline(page).Filter(new() { HasText = $"Note {i} behind the proxy" })).ToHaveCountAsync(1);
                await context.CloseAsync();
            }
            proxy.UpstreamErrors().ShouldBe(0);
        }
        finally
        {
            foreach (var api in new[] { first, second })
            {
                api.Kill(entireProcessTree: true);
                api.Dispose();
            }
        }
    }

    /// <summary>The API with no development key, trusting <paramref name="provider"/>, its console a client there.</summary>
    private async Task<(System.Diagnostics.Process Api, Uri Address)> StartWithProviderAsync(TestIdentityProvider provider, string extraScopes = "",
        System.Collections.Concurrent.ConcurrentQueue<string>? output = null, string roleClaim = "", string subjectClaim = "", string? home = null) =>
        await ConsoleFixture.StartApiAsync(console.ConnectionString, output ?? new(), new Dictionary<string, string>(home is null ? [] : [new("HOME", home)])
        {
            ["Auth__DevSigningKey"] = "",
            ["Auth__Authority"] = provider.Issuer,
            ["Auth__Audience"] = TestIdentityProvider.Audience,
            ["Console__ClientId"] = TestIdentityProvider.ClientId,
            ["Console__ClientSecret"] = TestIdentityProvider.ClientSecret,
            ["Console__Scopes"] = $"{TestIdentityProvider.Audience} {extraScopes}".Trim(),
            ["Auth__RoleClaim"] = roleClaim,
            ["Auth__SubjectClaim"] = subjectClaim,
            // What the console's sign-in and renewals log as information (a role changed, a session ended), to be read.
            ["Logging__LogLevel__SafeguardingCases.Web.Session"] = "Information",
        });
}
