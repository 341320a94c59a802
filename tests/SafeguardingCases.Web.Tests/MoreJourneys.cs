using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    internal static ILocator Timeline(IPage page) => Section(page, "Timeline").GetByRole(AriaRole.Listitem);

    [Fact]
    public async Task A_page_left_open_while_someone_else_records_says_the_case_changed_and_shows_it_again()
    {
        var first = await console.NewPageAsync();
        await SignInAsync(first, "Officer Stale", "SafeguardingOfficer");
        var id = await OpenCaseAsync(first, "chat-stale", 15, "Worried about home");
        var second = await first.Context.NewPageAsync();
        await second.GotoAsync($"/cases/{id}");

        await first.GetByLabel("Note", new() { Exact = true }).FillAsync("Called back, no answer");
        await first.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Timeline(first).Filter(new() { HasText = "Called back, no answer" })).ToHaveCountAsync(1);

        // The second tab still shows version 1: its note is refused with 412, the page says so and shows the case now.
        await second.GetByLabel("Note", new() { Exact = true }).FillAsync("Spoke to the user");
        await second.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Alert(second)).ToContainTextAsync("This case has changed since you opened it");
        await Assertions.Expect(Timeline(second).Filter(new() { HasText = "Called back, no answer" })).ToHaveCountAsync(1);
        await ConsoleFixture.ShouldBeAccessibleAsync(second);
        await ConsoleFixture.ScreenshotAsync(second, "stale-page");

        // Submitted again from the page as it now is, the note is recorded.
        await second.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Timeline(second).Filter(new() { HasText = "Spoke to the user" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_note_sent_after_the_session_ended_is_shown_back_with_nothing_recorded_and_sent_once_after_signing_in_again()
    {
        var page = await console.NewPageAsync();
        await SignInAsync(page, "Officer Away", "SafeguardingOfficer");
        var id = await OpenCaseAsync(page, "chat-session-ended", 15, "Worried about home");
        const string text = "Long call: she said her stepfather hit her again last night; she is at school now and safe until 3pm.";
        await page.GetByLabel("Note", new() { Exact = true }).FillAsync(text);
        // The session ends while the note is written: the browser's cookie names a session the process no longer has,
        // as after a restart (ConsoleSecurityTests sends a form after Console__IdleTimeout, the other way it ends).
        var session = (await page.Context.CookiesAsync()).Single(c => c.Name == "sg-console");
        await page.Context.AddCookiesAsync([new() { Name = session.Name, Value = "CfDJ8-a-session-this-process-no-longer-has", Domain = session.Domain, Path = session.Path }]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();

        // Not the sign-in page with the note gone: the note, and that nothing was recorded.
        await NoteShownBackAsync(page, "Not sent: your session had ended", text, "session-ended");

        // Signing in again in a new tab leaves this page, and the note, where they are; the case has no such note.
        var again = await page.Context.RunAndWaitForPageAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "sign in again (opens in a new tab)" }).ClickAsync());
        await again.GetByLabel("Name").FillAsync("Officer Away");
        await again.GetByLabel("Role").SelectOptionAsync("SafeguardingOfficer");
        await again.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivesAtAsync(again, new Regex($"/cases/{id}$"));
        await Assertions.Expect(Timeline(again).Filter(new() { HasText = "stepfather" })).ToHaveCountAsync(0);
        await again.GetByLabel("Note", new() { Exact = true }).FillAsync(await page.GetByLabel("Text").InputValueAsync());
        await again.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Timeline(again).Filter(new() { HasText = text })).ToHaveCountAsync(1);
    }

    /// <summary>A note the console could not send, shown back: why, that nothing was recorded, and the note itself.</summary>
    private static async Task NoteShownBackAsync(IPage page, string heading, string text, string screenshot)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(heading);
        await Assertions.Expect(page).ToHaveTitleAsync($"{heading} · Safeguarding cases");
        await Assertions.Expect(Alert(page)).ToContainTextAsync("Nothing was recorded");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToHaveTextAsync("Add note");
        await Assertions.Expect(page.GetByLabel("Text")).ToHaveValueAsync(text);
        await ConsoleFixture.ShouldBeAccessibleAsync(page);
        await ConsoleFixture.ScreenshotAsync(page, screenshot);
    }

    [Fact]
    public async Task A_note_sent_from_a_page_opened_before_someone_else_signed_in_on_this_browser_is_shown_back_with_nothing_recorded()
    {
        var page = await console.NewPageAsync();
        await SignInAsync(page, "Officer Earlier", "SafeguardingOfficer");
        var id = await OpenCaseAsync(page, "chat-form-expired", 15, "Worried about home");
        const string text = "She rang back from a friend's phone: her mum's partner took her phone away again.";
        await page.GetByLabel("Note", new() { Exact = true }).FillAsync(text);
        // Meanwhile, in another tab of the same browser (a shared computer), the first officer signs out and another
        // signs in. The note's form was made for the first officer's session; the framework refused it with a bare
        // 400 in its own words ("A valid antiforgery token was not provided..."), and the note was gone.
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync("/");
        await SignOutAsync(other);
        await SignInAsync(other, "Officer Later", "SafeguardingOfficer");
        await ArrivesAtAsync(other, new Regex("/$"));

        var answer = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.EndsWith($"/cases/{id}", StringComparison.Ordinal));
        answer.Status.ShouldBe(400);
        await NoteShownBackAsync(page, "Not sent: this page had expired", text, "form-expired");

        // The link opens the case again in a new tab, as whoever is signed in now; nothing was recorded on it.
        await SignOutAsync(other);
        await SignInAsync(other, "Officer Earlier", "SafeguardingOfficer");
        var again = await page.Context.RunAndWaitForPageAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "open the page again (opens in a new tab)" }).ClickAsync());
        await ArrivesAtAsync(again, new Regex($"/cases/{id}$"));
        await Assertions.Expect(Section(again, "Timeline")).ToBeVisibleAsync();
        await Assertions.Expect(Timeline(again).Filter(new() { HasText = "friend's phone" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Sign_in_pressed_on_a_page_left_open_goes_on_signed_in_or_asks_again_instead_of_a_bare_400()
    {
        // Two tabs on the sign-in page (a morning's bookmarks, each sent to sign in): signed in from one, Sign in on
        // the other was refused with the framework's 400, its form made for someone not yet signed in. It goes on to
        // where that tab was going: this browser is signed in.
        var first = await console.NewPageAsync();
        var second = await first.Context.NewPageAsync();
        await second.GotoAsync("/signin?ReturnUrl=%2Fcases");
        await SignInAsync(first, "Officer Two Tabs", "SafeguardingOfficer");
        await ArrivesAtAsync(first, new Regex("/$"));
        await second.GetByLabel("Name").FillAsync("Officer Two Tabs");
        await second.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivesAtAsync(second, new Regex("/cases$"));
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cases");

        // A sign-in page whose antiforgery cookie no key of the service's can read (its key retired with a key-encryption
        // key, or a cookie made up): the page again, saying why, and Sign in then works.
        var page = await console.NewPageAsync();
        await page.GotoAsync("/signin?ReturnUrl=%2Fcases");
        var antiforgery = (await page.Context.CookiesAsync()).Single(c => c.Name == "sg-console-af");
        await page.Context.AddCookiesAsync([new() { Name = antiforgery.Name, Value = "CfDJ8-made-with-keys-this-process-does-not-have", Domain = antiforgery.Domain, Path = antiforgery.Path }]);
        await page.GetByLabel("Name").FillAsync("Officer Restarted");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivesAtAsync(page, new Regex(@"/signin\?.*expired=1"));
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("This page had expired, so you are not signed in yet");
        await ConsoleFixture.ShouldBeAccessibleAsync(page);
        await page.GetByLabel("Name").FillAsync("Officer Restarted");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivesAtAsync(page, new Regex("/cases$"));

        // A browser that did not keep the page's cookie at all (one refusing this site's cookies, or cleared meanwhile):
        // the page says so, and what to do when it comes back.
        var noCookies = await console.NewPageAsync();
        await noCookies.GotoAsync("/signin");
        await noCookies.Context.ClearCookiesAsync();
        await noCookies.GetByLabel("Name").FillAsync("Officer No Cookies");
        await noCookies.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivesAtAsync(noCookies, new Regex(@"/signin\?expired=cookies$"));
        await Assertions.Expect(noCookies.GetByRole(AriaRole.Status)).ToContainTextAsync("your browser is refusing this site's cookies");
        await ConsoleFixture.ShouldBeAccessibleAsync(noCookies);
    }

    [Fact]
    public async Task An_address_no_page_has_says_page_not_found_in_the_console_and_leads_back()
    {
        var page = await console.NewPageAsync();
        // Signed out, it is the sign-in page (nothing said about what exists); signed in, the console's own 404.
        await page.GotoAsync("/cases/not-a-case-id");
        await ArrivesAtAsync(page, new Regex("/signin"));
        await SignInAsync(page, "Officer Lost", "SafeguardingOfficer");
        foreach (var address in new[] { "/cases/not-a-case-id", "/case", "/cases/new/extra" })
        {
            var response = await page.GotoAsync(address);
            response!.Status.ShouldBe(404, address);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Page not found");
            await Assertions.Expect(page).ToHaveTitleAsync("Page not found · Safeguarding cases");
        }
        await ConsoleFixture.ShouldBeAccessibleAsync(page);
        // The console's frame, navigation included, and a way back.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Console" }).GetByRole(AriaRole.Link, new() { Name = "Cases" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cases");
        // The API's addresses stay the API's: JSON, not the console's page.
        var api = await page.Context.APIRequest.GetAsync("/api/v1/no-such-route");
        api.Status.ShouldBe(401);
        api.Headers["content-type"].ShouldStartWith("application/problem+json");
    }

    [Fact]
    public async Task A_form_sent_twice_is_recorded_once()
    {
        var page = await console.NewPageAsync();
        await SignInAsync(page, "Officer Twice", "SafeguardingOfficer");
        var id = await OpenCaseAsync(page, "text-twice", 17, "Double click");
        await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Recorded once");

        // The form exactly as the browser sends it (antiforgery token, the form's Idempotency-Key and version), sent twice.
        var form = page.Locator("form[aria-label='Add note']");
        var fields = await form.EvaluateAsync<Dictionary<string, string>>(
            "f => Object.fromEntries(Array.from(new FormData(f).entries()).map(([k, v]) => [k, String(v)]))");
        var data = page.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields) data.Append(name, value);
        var sends = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            page.Context.APIRequest.PostAsync($"/cases/{id}", new() { Multipart = data, MaxRedirects = 0 })));
        // Both answered by a redirect to the case: the second with the first one's stored answer, not a "changed" alert.
        sends.Select(s => s.Status).ShouldAllBe(s => s == 302);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();

        await page.GotoAsync($"/cases/{id}");
        await Assertions.Expect(Timeline(page).Filter(new() { HasText = "Recorded once" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_restricted_case_is_invisible_to_an_unnamed_officer_until_the_glass_is_broken_and_an_auditor_sees_it_in_the_access_log()
    {
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Restrictor", "SafeguardingLead");
        await lead.GotoAsync("/cases");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        // A lead cannot open cases (officers do): the API's refusal is shown, in words.
        await lead.GetByLabel("Source reference").FillAsync("x");
        await lead.GetByLabel("Summary").FillAsync("x");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToBeVisibleAsync();

        var named = await console.NewPageAsync();
        await SignInAsync(named, "Officer Named", "SafeguardingOfficer");
        var id = await OpenCaseAsync(named, "post-staff-allegation", 14, "Allegation about a moderator");
        await lead.GotoAsync($"/cases/{id}");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        // A name typed wrong would keep out the person meant to see it: refused, saying which, and nothing restricted.
        await lead.GetByLabel("Named staff (their sign-in names, separated by commas)").FillAsync("officer-named, officer-namd");
        await lead.GetByLabel("Reason", new() { Exact = true }).FillAsync("Allegation about a moderator");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Restrict case" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync("Nobody has signed in as officer-namd");
        await Assertions.Expect(Section(lead, "Restriction")).ToContainTextAsync("Not restricted");
        await lead.GetByLabel("Named staff (their sign-in names, separated by commas)").FillAsync("officer-named");
        await lead.GetByLabel("Reason", new() { Exact = true }).FillAsync("Allegation about a moderator");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Restrict case" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToHaveCountAsync(0);
        await Assertions.Expect(Section(lead, "Restriction")).ToContainTextAsync("Named staff: officer-named, lead-restrictor");

        // A lead finds the restricted cases they are named in however many other cases changed since: the API filters,
        // not the page (a page of the fifty newest cases, all unrestricted, once showed "no cases").
        await OpenCasesThroughTheApiAsync(51);
        await lead.GotoAsync("/cases");
        await lead.GetByLabel("Restriction").SelectOptionAsync("true");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Link, new() { Name = "post-staff-allegation" })).ToHaveCountAsync(1);
        await Assertions.Expect(lead.GetByRole(AriaRole.Row).Filter(new() { HasText = "bulk-" })).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        var outsider = await console.NewPageAsync();
        await SignInAsync(outsider, "Officer Outside", "SafeguardingOfficer");
        await outsider.GotoAsync("/cases");
        await Assertions.Expect(outsider.GetByRole(AriaRole.Link, new() { Name = "post-staff-allegation" })).ToHaveCountAsync(0);
        await outsider.GotoAsync($"/cases/{id}");
        await Assertions.Expect(Alert(outsider)).ToContainTextAsync("NEED-TO-KNOW");
        await Assertions.Expect(outsider.GetByText("Allegation about a moderator")).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(outsider);
        await ConsoleFixture.ScreenshotAsync(outsider, "restricted");
        await outsider.GetByLabel("Why you need to open this case now").FillAsync("Caller on the line says the child is in danger now");
        await outsider.GetByRole(AriaRole.Button, new() { Name = "Break the glass" }).ClickAsync();
        await Assertions.Expect(outsider.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("post-staff-allegation");

        var auditor = await console.NewPageAsync();
        await SignInAsync(auditor, "Auditor Ames", "Auditor");
        await ArrivesAtAsync(auditor, new Regex("/audit$"));
        await auditor.GetByLabel("Case id").FillAsync(id);
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Verify integrity and show its access log" }).ClickAsync();
        var log = Section(auditor, "Access log of this case").GetByRole(AriaRole.Row);
        await Assertions.Expect(log.Filter(new() { HasText = "officer-outside" }).Filter(new() { HasText = "BreakGlass" })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(log.Filter(new() { HasText = "officer-outside" }).Filter(new() { HasText = "Refused" })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(Section(auditor, "Break-glass uses")).ToContainTextAsync("Caller on the line says the child is in danger now");
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);
    }

    [Fact]
    public async Task An_auditor_verifies_the_ledger_and_reads_a_case_as_of_an_earlier_version()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Ledger", "SafeguardingOfficer");
        var id = await OpenCaseAsync(officer, "board-ledger", 13, "First summary");
        await officer.GetByLabel("Note", new() { Exact = true }).FillAsync("A later note");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Timeline(officer).Filter(new() { HasText = "A later note" })).ToHaveCountAsync(1);

        var auditor = await console.NewPageAsync();
        await SignInAsync(auditor, "Auditor Blake", "Auditor");
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Sign a checkpoint now" }).ClickAsync();
        await Assertions.Expect(Section(auditor, "The signed ledger")).ToContainTextAsync("Latest signed checkpoint");
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Verify the ledger" }).ClickAsync();
        await Assertions.Expect(auditor.GetByRole(AriaRole.Status)).ToContainTextAsync("Verified");
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);
        await ConsoleFixture.ScreenshotAsync(auditor, "audit");
        await Section(auditor, "Escalation report").GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
        await Assertions.Expect(auditor.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Reports");
        await Assertions.Expect(auditor.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToContainTextAsync("Escalation report, ");

        await auditor.GotoAsync($"/cases/{id}");
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);
        await Assertions.Expect(Timeline(auditor)).ToHaveCountAsync(2);
        await Assertions.Expect(Timeline(auditor).First).ToContainTextAsync("hash ");
        await auditor.GetByLabel("Version").FillAsync("1");
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Show the case as of that version" }).ClickAsync();
        await Assertions.Expect(auditor.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("board-ledger as of version 1");
        await Assertions.Expect(auditor.GetByText("0 note(s)")).ToBeVisibleAsync();
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);

        await auditor.GotoAsync($"/cases/{id}");
        // Typed in UK time, as the console shows every instant.
        var ukNow = TimeZoneInfo.ConvertTimeBySystemTimeZoneId(DateTime.UtcNow.AddSeconds(1), "Europe/London");
        // Chromium keeps a datetime-local value in its shortest form: a time on the minute reads back without ":00",
        // and Playwright then calls the value malformed. So seconds only when there are some (failed once a minute).
        var typed = ukNow.ToString(ukNow.Second == 0 ? "yyyy-MM-ddTHH:mm" : "yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        await auditor.GetByLabel("Instant (UK time)").FillAsync(typed);
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Show the case as of that instant" }).ClickAsync();
        await Assertions.Expect(auditor.GetByText("1 note(s)")).ToBeVisibleAsync();
    }

    /// <summary>Opens unrestricted cases straight through the API, as an officer with a development token.</summary>
    private async Task OpenCasesThroughTheApiAsync(int count)
    {
        using var client = ApiClient("officer-bulk", "SafeguardingOfficer");
        for (var i = 0; i < count; i++)
        {
            using var opened = await client.PostAsync("/api/v1/cases", System.Net.Http.Json.JsonContent.Create(new
            {
                channel = "Boards", sourceReference = $"bulk-{i}", serviceUser = new { reference = $"handle-bulk-{i}", ageYears = 16 }, summary = "Another case",
            }));
            opened.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        }
    }
}
