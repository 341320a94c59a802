using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
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
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await ConsoleFixture.StartApiAsync(console.ConnectionString, output, new Dictionary<string, string>
        {
            ["Auth__DevSigningKey"] = "",
            ["Auth__Authority"] = provider.Issuer,
            ["Auth__Audience"] = TestIdentityProvider.Audience,
            ["Console__ClientId"] = TestIdentityProvider.ClientId,
            ["Console__ClientSecret"] = TestIdentityProvider.ClientSecret,
            ["Console__Scopes"] = TestIdentityProvider.Audience,
        });
        try
        {
            var context = await console.Browser.NewContextAsync(new() { BaseURL = address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/cases");
            await ArrivesAtAsync(page, new Regex("/signin"));
            await Assertions.Expect(page.GetByText("Sign in with your organisation's account.")).ToBeVisibleAsync();
            await ConsoleFixture.ShouldBeAccessibleAsync(page);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Oidc" }).ClickAsync();

            // Back at the console, signed in as the provider says, on the page asked for.
            await ArrivesAtAsync(page, new Regex("/cases$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cases");
            await Assertions.Expect(page.GetByText("Signed in as Officer Oidc (SafeguardingOfficer; sign-in name officer-oidc-7)")).ToBeVisibleAsync();
            // Every read and command goes to the API with the provider's access token: a case opened, a note added.
            var id = await OpenCaseAsync(page, "chat-oidc", 15, "Worried about home");
            await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Called back through the provider's sign-in");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
            await Assertions.Expect(Timeline(page).Filter(new() { HasText = "Called back through the provider's sign-in" })).ToHaveCountAsync(1);

            // Sign out ends the session at the provider too: on a shared computer the next person to press Sign in is
            // asked who they are at the provider, not signed in again as the last one (single sign-on would do that).
            await page.GetByRole(AriaRole.Link, new() { Name = "Sign out" }).ClickAsync();
            await ArrivesAtAsync(page, new Regex("/signin$"));
            provider.EndedSessions.ShouldBe(1);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Continue as Officer Oidc" })).ToBeVisibleAsync();
            (await page.GotoAsync("/cases"))!.Url.ShouldContain("/signin", customMessage: "not signed in again until someone continues at the provider");

            // The API: the provider's token for its audience is taken, one for another audience and a development token are not.
            using var http = new HttpClient { BaseAddress = address };
            async Task<HttpStatusCode> Read(string token)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cases/{id}");
                request.Headers.Authorization = new("Bearer", token);
                return (await http.SendAsync(request)).StatusCode;
            }
            (await Read(provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer"))).ShouldBe(HttpStatusCode.OK);
            (await Read(provider.AccessToken("officer-oidc-7", "Officer Oidc", "SafeguardingOfficer", audience: "another-api"))).ShouldBe(HttpStatusCode.Unauthorized);
            (await Read(SafeguardingCases.Api.Infrastructure.Auth.DevTokens.Mint(SafeguardingCases.Api.Infrastructure.Auth.AuthOptions.CommittedDevelopmentKey,
                "officer-oidc-7", "Officer Oidc", ["SafeguardingOfficer"], TimeSpan.FromMinutes(5)))).ShouldBe(HttpStatusCode.Unauthorized);
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }
}
