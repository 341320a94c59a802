using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>LEGAL-HOLD and DESTRUCTION-TWO-LEADS in the console: a hold placed and released; a record destroyed by two leads.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RetentionJourneys(ConsoleFixture console)
{
    private static async Task SignInAsync(IPage page, string name, string role)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Role").SelectOptionAsync(role);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(new Regex("/$"));
    }

    [Fact]
    public async Task A_lead_places_a_legal_hold_on_a_case_and_releases_it()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Hold Officer", "SafeguardingOfficer");
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        await officer.GetByLabel("Channel").SelectOptionAsync("Text");
        await officer.GetByLabel("Source reference").FillAsync("text-hold-1");
        await officer.GetByLabel("Age", new() { Exact = true }).FillAsync("17");
        await officer.GetByLabel("Summary").FillAsync("Subject of a police investigation");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/cases/[0-9a-f-]{36}$"));
        var url = new Uri(officer.Url).AbsolutePath;

        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Hold", "SafeguardingLead");
        await lead.GotoAsync(url);
        var retention = lead.Locator("section").Filter(new() { Has = lead.GetByRole(AriaRole.Heading, new() { Name = "Retention", Level = 2 }) });
        await Assertions.Expect(retention).ToContainTextAsync("Reviewed for retention once the case is closed");
        await lead.GetByLabel("Reason for the legal hold").FillAsync("Police investigation under way");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Place legal hold" }).ClickAsync();
        await Assertions.Expect(retention).ToContainTextAsync("Legal hold placed by Lead Hold");
        await Assertions.Expect(lead.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await lead.GetByRole(AriaRole.Button, new() { Name = "Release legal hold" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Button, new() { Name = "Place legal hold" })).ToBeVisibleAsync();
        await Assertions.Expect(retention).Not.ToContainTextAsync("Legal hold placed");
    }

    [Fact]
    public async Task One_lead_asks_for_a_closed_record_to_be_destroyed_and_another_approves()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Destroy Officer", "SafeguardingOfficer");
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        await officer.GetByLabel("Channel").SelectOptionAsync("Boards");
        await officer.GetByLabel("Source reference").FillAsync("post-Wendeline-7");
        await officer.GetByLabel("Age", new() { Exact = true }).FillAsync("34");
        await officer.GetByLabel("Summary").FillAsync("Wendeline asked about her rights as a tenant");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/cases/[0-9a-f-]{36}$"));
        var url = new Uri(officer.Url).AbsolutePath;
        await officer.GetByLabel("Reason for closing").FillAsync("Signposted; nothing more to do");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Close case" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Button, new() { Name = "Reopen case" })).ToBeVisibleAsync();
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var first = await console.NewPageAsync();
        await SignInAsync(first, "Lead Asks", "SafeguardingLead");
        await first.GotoAsync(url);
        await first.GetByLabel("Reason for destroying the record").FillAsync("Review due; no reason to keep it");
        await first.GetByRole(AriaRole.Button, new() { Name = "Request destruction" }).ClickAsync();
        var retention = first.Locator("section").Filter(new() { Has = first.GetByRole(AriaRole.Heading, new() { Name = "Retention", Level = 2 }) });
        await Assertions.Expect(retention).ToContainTextAsync("Destruction requested by Lead Asks");
        await Assertions.Expect(first.GetByRole(AriaRole.Button, new() { Name = "Approve destruction" })).ToHaveCountAsync(0);

        var second = await console.NewPageAsync();
        await SignInAsync(second, "Lead Approves", "SafeguardingLead");
        await second.GotoAsync(url);
        await second.GetByRole(AriaRole.Button, new() { Name = "Approve destruction" }).ClickAsync();
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Destroyed");
        await Assertions.Expect(second.Locator("main")).ToContainTextAsync("personal data was destroyed");
        await Assertions.Expect(second.Locator("main")).Not.ToContainTextAsync("Wendeline");
        await Assertions.Expect(second.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(second);
        await ConsoleFixture.ScreenshotAsync(second, "destroyed-case");
    }
}
