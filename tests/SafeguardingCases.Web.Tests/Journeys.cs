using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// The staff console in a real Chromium against the real API and PostgreSQL, found by role and accessible name (the
/// names DESIGN.md fixes), with axe on every page visited.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class Journeys(ConsoleFixture console)
{
    internal static async Task SignInAsync(IPage page, string name, string role)
    {
        await page.GotoAsync("/signin");
        await ConsoleFixture.ShouldBeAccessibleAsync(page);
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Role").SelectOptionAsync(role);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    private static async Task SignOutAsync(IPage page)
    {
        // A form's answer may still be redirecting to the page it shows, and a click in that window is lost to the
        // redirect: click again, every 5 s, until the sign-in page is there. (Not by waiting for "network idle" first:
        // Playwright advises against it, and here its wait once hung 30 s on a page idle long before.) Arrival is seen
        // in the page's address, as ArrivesAtAsync does, and a click is given 2 s: CI at 55f53a1 failed twice with the
        // retried click waiting 30 s for a Sign out link on the sign-in page, reached after the first wait for it
        // (WaitForURLAsync, 5 s) had run out on a loaded machine.
        var signOut = page.GetByRole(AriaRole.Link, new() { Name = "Sign out" });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var nextClick = DateTime.UtcNow;
        while (!SignInPage().IsMatch(page.Url))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Still at {page.Url} 30 s after pressing Sign out");
            if (DateTime.UtcNow >= nextClick)
            {
                nextClick = DateTime.UtcNow.AddSeconds(5);
                try
                {
                    await signOut.ClickAsync(new() { Timeout = 2_000 });
                }
                catch (TimeoutException)
                {
                    // The page is changing (to the sign-in page, or the form's answer): its address is looked at again.
                }
            }
            await Task.Delay(50);
        }
    }

    [GeneratedRegex("/signin")]
    private static partial Regex SignInPage();

    /// <summary>
    /// Waits for a form's answer to take the page to <paramref name="url"/>; when it does not, fails with what the page
    /// says instead (a refusal, a 503), not only "timeout".
    /// </summary>
    /// <remarks>
    /// It watches the page's address (which changes when a navigation commits) rather than calling
    /// <c>WaitForURLAsync</c> with <c>WaitUntilState.Commit</c>. When the navigation had already committed before that
    /// call began (a loaded machine), Playwright's client finds the address already matching and waits for the page's
    /// "load" state instead (it has no "commit" state to wait for), and its record of that event can miss it (633bc4f):
    /// the call ran out its 30 s on a page that was already there (CI at f5e9d10: worked example 1, "Still at /cases/{id}").
    /// </remarks>
    internal static async Task ArrivesAtAsync(IPage page, Regex url)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!url.IsMatch(page.Url))
        {
            if (DateTime.UtcNow > deadline)
            {
                var says = await page.Locator("main").InnerTextAsync(new() { Timeout = 2_000 }).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "(unreadable)");
                throw new TimeoutException($"Still at {page.Url}, which says: {says}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Whether a journey has checked the case list and the open-case form with axe yet (the same pages every time).</summary>
    private static int openCasePagesChecked;

    internal static async Task<string> OpenCaseAsync(IPage page, string sourceReference, int age, string summary)
    {
        // axe on the case list and the form the first time only: nearly every journey opens cases, and rescanning the
        // same two pages in each added about a second a case to the suite.
        var check = Interlocked.Exchange(ref openCasePagesChecked, 1) == 0;
        await page.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        if (check) await ConsoleFixture.ShouldBeAccessibleAsync(page);
        await page.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        if (check) await ConsoleFixture.ShouldBeAccessibleAsync(page);
        await page.GetByLabel("Channel").SelectOptionAsync("Boards");
        await page.GetByLabel("Source reference").FillAsync(sourceReference);
        await page.GetByLabel("Age", new() { Exact = true }).FillAsync(age.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Summary").FillAsync(summary);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await ArrivesAtAsync(page, new Regex("/cases/[0-9a-f-]{36}$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync(sourceReference);
        var id = page.Url.Split('/').Last();
        // The page's title (the tab, the task bar, the browser's history on disk and synced to its maker's servers)
        // names the case by its id, never by the reference, which identifies the young person.
        await Assertions.Expect(page).ToHaveTitleAsync($"Case {id[..8]} · Safeguarding cases");
        return id;
    }

    private static ILocator Alert(IPage page) => page.GetByRole(AriaRole.Alert);

    /// <summary>
    /// Whether a work queue lists a case, following the queue's More links: the queues are earliest due first and the
    /// console's tests share one database, so another test's cases may fill the first page before this one's.
    /// </summary>
    private static async Task<bool> QueueListsAsync(IPage page, string queue, string sourceReference)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Work queues", Level = 1 })).ToBeVisibleAsync();
        for (var pages = 0; pages < 40; pages++)
        {
            var section = Section(page, queue);
            if (await section.GetByRole(AriaRole.Link, new() { Name = sourceReference, Exact = true }).CountAsync() > 0) return true;
            var more = section.GetByRole(AriaRole.Link, new() { Name = $"More: {queue}" });
            if (await more.CountAsync() == 0) return false;
            await page.GotoAsync(await more.GetAttributeAsync("href") ?? throw new InvalidOperationException("More link without href"));
        }
        return false;
    }

    /// <summary>
    /// The contents at the top of a case's page name every section the page shows to this person, in its order, and
    /// the last link (the timeline, with the Add note form) takes the reader to its heading.
    /// </summary>
    private static async Task ContentsListEverySectionAsync(IPage page)
    {
        var contents = page.GetByRole(AriaRole.Navigation, new() { Name = "On this page" });
        var links = await contents.GetByRole(AriaRole.Link).EvaluateAllAsync<string[]>("links => links.map(l => l.getAttribute('href'))");
        var sections = await page.Locator("main section > h2[id]").EvaluateAllAsync<string[]>("headings => headings.map(h => '#' + h.id)");
        links.ShouldBe(sections);
        await contents.GetByRole(AriaRole.Link, new() { Name = "Timeline" }).ClickAsync();
        await ArrivesAtAsync(page, new Regex("#timeline$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Timeline", Level = 2 })).ToBeInViewportAsync();
    }

    internal static ILocator Section(IPage page, string heading) =>
        page.Locator("section").Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true, Level = 2 }) });

    [Fact]
    public async Task Worked_example_1_from_open_case_to_close_case_across_an_officer_and_a_clinician()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer One", "SafeguardingOfficer");
        await Assertions.Expect(officer.GetByRole(AriaRole.Heading, new() { Name = "Work queues" })).ToBeVisibleAsync();
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        var id = await OpenCaseAsync(officer, "post-123", 16, "Says a parent hits them");
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ContentsListEverySectionAsync(officer);

        // The disclosure: a current physical concern about the service user.
        await officer.GetByLabel("What was disclosed").FillAsync("My dad hits me when he drinks");
        await officer.GetByLabel("Concern category", new() { Exact = true }).SelectOptionAsync("Physical");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Record disclosure" }).ClickAsync();
        await Assertions.Expect(Alert(officer)).ToHaveCountAsync(0);
        await Assertions.Expect(Section(officer, "Disclosures").GetByRole(AriaRole.Listitem)).ToContainTextAsync("My dad hits me when he drinks");
        await Assertions.Expect(Section(officer, "Obligations")).ToContainTextAsync("Risk assessment needed");
        await officer.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        (await QueueListsAsync(officer, "Risk assessment needed", "post-123")).ShouldBeTrue();
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "work-queues");
        await SignOutAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "sign-in");

        // A clinician assesses: no threat to life, current physical abuse, a non-emergency referral.
        var clinician = await console.NewPageAsync();
        await SignInAsync(clinician, "Doctor Rahman", "Clinician");
        await clinician.GotoAsync($"/cases/{id}");
        await ConsoleFixture.ShouldBeAccessibleAsync(clinician);
        await ContentsListEverySectionAsync(clinician);
        await clinician.GetByLabel("Threat to life").SelectOptionAsync("None");
        await clinician.GetByLabel("Current concerns accepted").SelectOptionAsync(["Physical"]);
        await clinician.GetByLabel("Recommended route").SelectOptionAsync("NonEmergency");
        await clinician.GetByLabel("Rationale").FillAsync("Ongoing physical abuse at home; no immediate danger");
        await clinician.GetByRole(AriaRole.Button, new() { Name = "Record risk assessment" }).ClickAsync();
        await Assertions.Expect(Alert(clinician)).ToHaveCountAsync(0);
        await Assertions.Expect(Section(clinician, "Risk assessments").Locator("p").First).ToContainTextAsync("Ongoing physical abuse at home");
        await SignOutAsync(clinician);

        // The officer sees the policy's answer before escalating: non-emergency permitted under CHILD-SAFEGUARDING.
        await SignInAsync(officer, "Officer One", "SafeguardingOfficer");
        await officer.GotoAsync($"/cases/{id}");
        var escalations = Section(officer, "Escalations");
        var nonEmergency = escalations.GetByRole(AriaRole.Row).Filter(new() { HasText = "Non-emergency" });
        await Assertions.Expect(nonEmergency).ToContainTextAsync("Permitted");
        await Assertions.Expect(nonEmergency).ToContainTextAsync("CHILD-SAFEGUARDING");
        await Assertions.Expect(nonEmergency).ToContainTextAsync("Children's social care");
        await ConsoleFixture.ScreenshotAsync(officer, "case-policy-answer");

        // An emergency escalation is refused, and the refusal says why, with its rule IDs.
        await officer.GetByLabel("Route", new() { Exact = true }).SelectOptionAsync("Emergency");
        await officer.GetByLabel("Agency", new() { Exact = true }).SelectOptionAsync("Police999");
        await officer.GetByLabel("Disclosures it relies on").SelectOptionAsync(new SelectOptionValue[] { new() { Index = 0 } });
        await officer.GetByLabel("Information shared (only what is necessary)").SelectOptionAsync(["Name"]);
        await officer.GetByRole(AriaRole.Button, new() { Name = "Send escalation" }).ClickAsync();
        await Assertions.Expect(Alert(officer)).ToContainTextAsync("The policy does not permit this escalation");
        await Assertions.Expect(Alert(officer)).ToContainTextAsync("EMERGENCY-LIFE");
        await Assertions.Expect(Alert(officer)).Not.ToContainTextAsync("{");
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "refusal");

        // The referral to children's social care, sharing what identifies and locates the child.
        await officer.GetByLabel("Route", new() { Exact = true }).SelectOptionAsync("NonEmergency");
        await officer.GetByLabel("Agency", new() { Exact = true }).SelectOptionAsync("ChildrensSocialCare");
        await officer.GetByLabel("Disclosures it relies on").SelectOptionAsync(new SelectOptionValue[] { new() { Index = 0 } });
        await officer.GetByLabel("Information shared (only what is necessary)").SelectOptionAsync(["Name", "AddressOrLocation", "DisclosureSummary"]);
        await officer.GetByRole(AriaRole.Button, new() { Name = "Send escalation" }).ClickAsync();
        await Assertions.Expect(Alert(officer)).ToHaveCountAsync(0);
        await Assertions.Expect(escalations.GetByRole(AriaRole.Heading, new() { Name = "Non-emergency to Children's social care, for service-user" })).ToBeVisibleAsync();

        // Closing is refused while the notice is owed; then the user is told, and the case closes.
        await officer.GetByLabel("Reason for closing").FillAsync("Referred");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Close case" }).ClickAsync();
        await Assertions.Expect(Alert(officer)).ToContainTextAsync("CLOSE-OBLIGATIONS");
        await officer.GetByLabel("Message to the user").FillAsync("We shared your name, where you live and what you told us with children's social care.");
        await officer.GetByLabel("Sent via").FillAsync("Boards private message");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Send transparency notice" }).ClickAsync();
        await Assertions.Expect(escalations).ToContainTextAsync("Transparency notice: Sent");
        await officer.GetByLabel("Reason for closing").FillAsync("Referred and the user told");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Close case" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Button, new() { Name = "Reopen case" })).ToBeVisibleAsync();
        await Assertions.Expect(Section(officer, "Timeline")).ToContainTextAsync("Case closed: Referred and the user told");
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "case-closed");
        (await officer.EvaluateAsync<int>("localStorage.length + sessionStorage.length")).ShouldBe(0, "no case data in browser storage");
    }
}
