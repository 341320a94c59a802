using System.Net;
using System.Text.RegularExpressions;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// What the console promises at the HTTP level: a Content-Security-Policy with no script, <c>no-store</c>, no framing;
/// a session cookie that is HttpOnly and SameSite=Lax and carries no token; antiforgery on every form; sign-in
/// required everywhere but the sign-in page; no open redirect after sign-in (idle sign-out and outages: SessionAndOutageTests).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ConsoleSecurityTests(ConsoleFixture console)
{
    private HttpClient Client(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true })
        {
            BaseAddress = console.Address,
        };

    /// <summary>Signs in through the development sign-in form as a browser would (its antiforgery token included).</summary>
    internal static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string name, string role, string returnUrl = "")
    {
        var page = await (await client.GetAsync("/signin" + returnUrl)).Content.ReadAsStringAsync();
        var token = AntiforgeryToken().Match(page).Groups[1].Value;
        return await client.PostAsync("/signin" + returnUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin", ["__RequestVerificationToken"] = token, ["Form.Name"] = name, ["Form.Role"] = role,
        }));
    }

    [Fact]
    public async Task Every_page_has_a_policy_with_no_script_is_never_stored_and_never_framed()
    {
        var cookies = new CookieContainer();
        using var client = Client(cookies);
        var signIn = await client.GetAsync("/signin");
        (await SignInAsync(client, "Officer Headers", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
        foreach (var response in new[] { signIn, await client.GetAsync("/"), await client.GetAsync("/cases") })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var csp = response.Headers.GetValues("Content-Security-Policy").Single();
            csp.ShouldContain("default-src 'none'");
            csp.ShouldContain("frame-ancestors 'none'");
            csp.ShouldNotContain("script-src");
            response.Headers.CacheControl!.NoStore.ShouldBeTrue();
            response.Headers.GetValues("X-Frame-Options").ShouldBe(["DENY"]);
            (await response.Content.ReadAsStringAsync()).ShouldNotContain("<script");
        }
    }

    [Fact]
    public async Task The_session_cookie_is_HttpOnly_SameSite_Lax_and_carries_no_token()
    {
        using var client = Client();
        var signedIn = await SignInAsync(client, "Officer Cookie", "SafeguardingOfficer");
        signedIn.StatusCode.ShouldBe(HttpStatusCode.Found);
        var session = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sg-console=", StringComparison.Ordinal));
        session.ShouldContain("httponly", Case.Insensitive);
        // Lax: never sent with a post from another site; Strict would be held back on the way back from an identity
        // provider, so the first page after signing in would ask to sign in again (the OpenID Connect journey).
        session.ShouldContain("samesite=lax", Case.Insensitive);
        // The ticket (with the access token) stays on the server: the cookie is only an encrypted session key, far
        // shorter than a ticket carrying the token could be: the token alone is about 320 characters, and the ticket adds
        // the claims and the encryption (the cookie measured here is about 330 characters with none of that in it).
        session.Split(';')[0].Length.ShouldBeLessThan(400);
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_is_refused_and_records_nothing()
    {
        using var client = Client();
        (await SignInAsync(client, "Officer Forgery", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
        var forged = await client.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-case", ["Form.Key"] = "forged", ["Form.Channel"] = "Boards", ["Form.SourceReference"] = "forged-post", ["Form.Summary"] = "x",
        }));
        forged.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await (await client.GetAsync("/cases")).Content.ReadAsStringAsync()).ShouldNotContain("forged-post");
    }

    [Fact]
    public async Task Every_page_but_sign_in_needs_a_session_and_sign_in_never_redirects_off_site()
    {
        using var anonymous = Client();
        foreach (var path in new[] { "/", "/cases", "/cases/new", $"/cases/{Guid.NewGuid()}", "/audit", "/reports", "/webhooks", $"/webhooks/{Guid.NewGuid()}", "/handover" })
        {
            var response = await anonymous.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.Found, path);
            response.Headers.Location!.ToString().ShouldContain("/signin");
        }
        using var client = Client();
        var signedIn = await SignInAsync(client, "Officer Redirect", "SafeguardingOfficer", "?ReturnUrl=%2F%2Fevil.example.com");
        signedIn.Headers.Location!.ToString().ShouldNotContain("evil");
    }

    [Fact]
    public async Task Query_values_that_are_not_what_a_page_takes_are_answered_on_the_page_never_500()
    {
        using var client = Client();
        foreach (var path in new[] { "/signin?failed=abc", "/signin?failed=99999999999999" })
            (await client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.OK, path);
        (await SignInAsync(client, "Lead Probe", "SafeguardingLead")).StatusCode.ShouldBe(HttpStatusCode.Found);
        var id = Guid.NewGuid();
        foreach (var path in new[] { $"/cases/{id}/as-of?version=abc", $"/cases/{id}/as-of?at=x", $"/cases/{id}?before=abc",
                     $"/cases/{id}?before=-5", "/?queue=ReportDue&cursor=garbage", "/cases?status=Bogus&cursor=zzz" })
        {
            var response = await client.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, path);
            (await response.Content.ReadAsStringAsync()).ShouldContain("role=\"alert\"", customMessage: path);
        }
        // A queue the page does not know shows every queue.
        (await (await client.GetAsync("/?queue=NoSuchQueue&cursor=x")).Content.ReadAsStringAsync()).ShouldContain("Risk assessment needed");
        // Dates that are not dates are the default (the last 90 days), not an error.
        var report = await client.GetAsync("/reports?from=2026-13-45&to=yesterday");
        report.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await report.Content.ReadAsStringAsync()).ShouldNotContain("role=\"alert\"");
        using var auditor = Client();
        (await SignInAsync(auditor, "Auditor Probe", "Auditor")).StatusCode.ShouldBe(HttpStatusCode.Found);
        (await auditor.GetAsync("/audit?caseId=%ZZ")).StatusCode.ShouldBe(HttpStatusCode.OK, "a case id that is not one is ignored");
    }

    [Fact]
    public async Task A_form_value_that_cannot_be_read_is_shown_back_and_nothing_is_recorded()
    {
        using var client = Client();
        (await SignInAsync(client, "Officer Typo", "SafeguardingOfficer")).StatusCode.ShouldBe(HttpStatusCode.Found);
        var form = await (await client.GetAsync("/cases/new")).Content.ReadAsStringAsync();
        var answer = await client.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-case", ["__RequestVerificationToken"] = AntiforgeryToken().Match(form).Groups[1].Value, ["Form.Key"] = "typo",
            ["Form.Channel"] = "Boards", ["Form.SourceReference"] = "typo-post", ["Form.AgeYears"] = "sixteen", ["Form.Summary"] = "s",
        }));
        answer.StatusCode.ShouldBe(HttpStatusCode.OK, "shown again, not sent with the age left out");
        (await answer.Content.ReadAsStringAsync()).ShouldContain("validation-message");
        (await (await client.GetAsync("/cases")).Content.ReadAsStringAsync()).ShouldNotContain("typo-post");
    }

    [Fact]
    public async Task A_form_sent_with_a_session_the_service_does_not_know_is_shown_back_and_one_from_elsewhere_is_not()
    {
        // A session cookie the service cannot open (made up, or the session ended and was deleted): what the form
        // held comes back to the browser that sent it, with 401, nothing recorded, never stored.
        var cookies = new CookieContainer();
        cookies.Add(console.Address, new Cookie("sg-console", "CfDJ8-a-session-this-process-never-made"));
        using var ended = Client(cookies);
        var answer = await ended.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-case", ["__RequestVerificationToken"] = "stale", ["Form.Key"] = "k-ended", ["Form.Version"] = "",
            ["Form.Channel"] = "Boards", ["Form.SourceReference"] = "ended-session-post", ["Form.Summary"] = "Disclosed <b>abuse</b> at home",
        }));
        answer.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        answer.Headers.CacheControl!.NoStore.ShouldBeTrue();
        var body = await answer.Content.ReadAsStringAsync();
        body.ShouldContain("Nothing was recorded.");
        body.ShouldContain("Disclosed &lt;b&gt;abuse&lt;/b&gt; at home", customMessage: "shown as text, encoded");
        body.ShouldContain("ended-session-post");
        body.ShouldNotContain("k-ended", customMessage: "the form's key and token are its own, not what was typed");
        body.ShouldContain("href=\"/signin?ReturnUrl=%2Fcases%2Fnew\"");

        // Without the console's cookie (a post from another site, which a SameSite=Lax cookie never goes with, or
        // from someone never signed in): the sign-in page as before, and nothing sent is shown.
        using var anonymous = Client();
        var elsewhere = await anonymous.PostAsync("/cases/new", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "open-case", ["Form.Summary"] = "Shown to nobody",
        }));
        elsewhere.StatusCode.ShouldBe(HttpStatusCode.Found);
        elsewhere.Headers.Location!.ToString().ShouldContain("/signin");
        (await elsewhere.Content.ReadAsStringAsync()).ShouldNotContain("Shown to nobody");

        using var lead = Client();
        (await SignInAsync(lead, "Lead Ended", "SafeguardingLead")).StatusCode.ShouldBe(HttpStatusCode.Found);
        (await (await lead.GetAsync("/cases")).Content.ReadAsStringAsync()).ShouldNotContain("ended-session-post");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    internal static partial Regex AntiforgeryToken();
}
