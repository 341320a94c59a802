using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>Exports in the console: a chronology downloaded for a court; a subject access export drafted, decided by a lead, released and downloaded.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ExportJourneys(ConsoleFixture console)
{
    private static async Task SignInAsync(IPage page, string name, string role)
    {
        await page.GotoAsync("/signin");
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Role").SelectOptionAsync(role);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Auditors land on Audit, everyone else on their work queues.
        await Journeys.ArrivesAtAsync(page, new Regex(role == "Auditor" ? "/audit$" : "/$"));
    }

    private static async Task<byte[]> DownloadAsync(IPage page, Func<Task> click)
    {
        var download = await page.RunAndWaitForDownloadAsync(click);
        var path = await download.PathAsync();
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task An_officer_downloads_a_chronology_for_a_court_and_a_lead_releases_a_subject_access_export()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Export Officer", "SafeguardingOfficer");
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        await officer.GetByLabel("Channel").SelectOptionAsync("Chat");
        await officer.GetByLabel("Source reference").FillAsync("chat-export-1");
        await officer.GetByLabel("Age", new() { Exact = true }).FillAsync("15");
        await officer.GetByLabel("Summary").FillAsync("Worried about home");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/cases/[0-9a-f-]{36}$"));
        var url = new Uri(officer.Url).AbsolutePath;
        await officer.GetByLabel("What was disclosed").FillAsync("My stepdad hits me");
        await officer.GetByLabel("Concern category", new() { Exact = true }).SelectOptionAsync("Physical");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Record disclosure" }).ClickAsync();
        await Assertions.Expect(officer.Locator("main")).ToContainTextAsync("My stepdad hits me");

        // A court chronology without a recipient is refused in words; with one, the PDF downloads.
        var exports = officer.Locator("section").Filter(new() { Has = officer.GetByRole(AriaRole.Heading, new() { Name = "Exports", Level = 2 }) });
        await officer.GetByLabel("Audience").SelectOptionAsync("Court");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Download chronology" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Alert)).ToContainTextAsync("recipient is required");
        // The refusal comes back to the page sealed in its address (the download cannot answer a page): the address
        // carries none of its words, and a link made by someone else, with words of their choosing in the same place
        // ("call this number about this case"), shows nothing in the console's own alert.
        new Uri(officer.Url).Query.ShouldNotContain("recipient");
        await officer.GotoAsync($"{url}?problem=Urgent%3A+this+case+was+reassigned&detail=Call+0800+000+000+now&rules=ESCALATE");
        await Assertions.Expect(officer.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
        (await officer.Locator("main").InnerTextAsync()).ShouldNotContain("0800 000 000");
        await Assertions.Expect(officer.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await officer.GetByLabel("Audience").SelectOptionAsync("Court");
        await officer.GetByLabel("Recipient").FillAsync("Family Court");
        await officer.GetByLabel("Purpose").FillAsync("Care proceedings");
        var pdf = await DownloadAsync(officer, () => officer.GetByRole(AriaRole.Button, new() { Name = "Download chronology" }).ClickAsync());
        System.Text.Encoding.ASCII.GetString(pdf, 0, 5).ShouldBe("%PDF-");
        await officer.GetByLabel("Format").SelectOptionAsync("csv");
        var csv = System.Text.Encoding.UTF8.GetString(await DownloadAsync(officer, () => officer.GetByRole(AriaRole.Button, new() { Name = "Download chronology" }).ClickAsync()));
        csv.ShouldStartWith("\"version\",\"at\",\"what\"");
        csv.ShouldContain("My stepdad hits me");

        await officer.GotoAsync(url);
        await exports.GetByRole(AriaRole.Button, new() { Name = "Draft subject access export" }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/subject-access/[0-9a-f-]{36}$"));
        var sar = new Uri(officer.Url).AbsolutePath;
        await Assertions.Expect(officer.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Subject access export");
        await Assertions.Expect(officer.Locator("main")).ToContainTextAsync("Version 2: Child abuse");
        await Assertions.Expect(officer.Locator("main")).ToContainTextAsync("awaits a decision");
        await Assertions.Expect(officer.Locator("table")).Not.ToContainTextAsync("Export Officer");
        await Assertions.Expect(officer.GetByRole(AriaRole.Button, new() { Name = "Record decision" })).ToHaveCountAsync(0);
        await Assertions.Expect(officer.GetByRole(AriaRole.Link, new() { Name = "Download PDF" })).ToHaveCountAsync(0);

        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Export Lead", "SafeguardingLead");
        await lead.GotoAsync(sar);
        await lead.GetByRole(AriaRole.Button, new() { Name = "Release export" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Alert)).ToContainTextAsync("await");
        await lead.GetByLabel("Decision").SelectOptionAsync("Release");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Record decision" }).ClickAsync();
        await Assertions.Expect(lead.Locator("main")).ToContainTextAsync("Release, by Export Lead");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Release export" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Link, new() { Name = "Download PDF" })).ToBeVisibleAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await ConsoleFixture.ScreenshotAsync(lead, "subject-access");
        var released = await DownloadAsync(lead, () => lead.GetByRole(AriaRole.Link, new() { Name = "Download PDF" }).ClickAsync());
        System.Text.Encoding.ASCII.GetString(released, 0, 5).ShouldBe("%PDF-");

        // Back on the case, the export is listed as released.
        await lead.GotoAsync(url);
        await Assertions.Expect(lead.Locator("main")).ToContainTextAsync("Released");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        // Auditors see every export: who, for whom and why.
        var auditor = await console.NewPageAsync();
        await SignInAsync(auditor, "Export Auditor", "Auditor");
        var audited = auditor.Locator("section").Filter(new() { Has = auditor.GetByRole(AriaRole.Heading, new() { Name = "Exports", Exact = true, Level = 2 }) });
        await Assertions.Expect(audited).ToContainTextAsync("Export Officer exported");
        await Assertions.Expect(audited).ToContainTextAsync("for Court to Family Court, for Care proceedings");
        await Assertions.Expect(audited).ToContainTextAsync("Export Lead exported");
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);
    }
}
