using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>Allocation and alerts in the console: the officer allocates a case to themselves, sees its alert counted and acknowledges it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class AlertJourneys(ConsoleFixture console)
{
    [Fact]
    public async Task An_officer_allocates_a_case_to_themselves_sees_its_alert_counted_and_acknowledges_it()
    {
        var officer = await console.NewPageAsync();
        await officer.GotoAsync("/signin");
        await officer.GetByLabel("Name").FillAsync("Alert Officer");
        await officer.GetByLabel("Role").SelectOptionAsync("SafeguardingOfficer");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Open case" }).ClickAsync();
        await officer.GetByLabel("Channel").SelectOptionAsync("Chat");
        await officer.GetByLabel("Source reference").FillAsync("chat-alerts-1");
        await officer.GetByLabel("Age", new() { Exact = true }).FillAsync("15");
        await officer.GetByLabel("Summary").FillAsync("Worried about home");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Open case" }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/cases/[0-9a-f-]{36}$"));
        var caseId = officer.Url.Split('/').Last();

        // Allocated to the signed-in officer, with the address their alerts go to.
        await officer.GetByLabel("Your email for alerts").FillAsync("alert.officer@example.org");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Allocate to me" }).ClickAsync();
        var allocation = officer.Locator("section").Filter(new() { Has = officer.GetByRole(AriaRole.Heading, new() { Name = "Allocation", Level = 2 }) });
        await Assertions.Expect(allocation).ToContainTextAsync("Allocated to Alert Officer");
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);

        // A disclosure makes a risk assessment owed: an alert to the allocated officer within a sweep or two.
        await officer.GetByLabel("What was disclosed").FillAsync("Things are bad at home");
        await officer.GetByLabel("Concern category", new() { Exact = true }).SelectOptionAsync("Physical");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Record disclosure" }).ClickAsync();
        await Assertions.Expect(officer.Locator("section").Filter(new() { Has = officer.GetByRole(AriaRole.Heading, new() { Name = "Disclosures", Exact = true, Level = 2 }) }))
            .ToContainTextAsync("Things are bad at home");
        var alertsLink = officer.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Alerts \\(\\d+ unacknowledged\\)$") });
        await alertsLink.Or(officer.GetByRole(AriaRole.Link, new() { Name = "Alerts", Exact = true })).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Heading, new() { Name = "Alerts", Level = 1 })).ToBeVisibleAsync();
        // This case's row (other journeys' unallocated cases alert every officer too), once a sweep has raised it.
        var row = officer.GetByRole(AriaRole.Row).Filter(new() { HasText = "Risk assessment needed" }).Filter(new() { HasText = caseId[..8] });
        for (var i = 0; i < 40 && await row.CountAsync() == 0; i++)
        {
            await Task.Delay(250);
            await officer.ReloadAsync();
        }
        // The risk assessment is owed from the disclosure: due soon or, already, overdue; the navigation counts it.
        await Assertions.Expect(row).ToContainTextAsync(new Regex("Due soon|Overdue"));
        await Assertions.Expect(row.GetByRole(AriaRole.Cell).Nth(3)).ToHaveTextAsync("Yes");
        await Assertions.Expect(alertsLink).ToHaveCountAsync(1);
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "alerts");
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Acknowledge") }).ClickAsync();
        await Journeys.ArrivesAtAsync(officer, new Regex("/alerts$"));
        await Assertions.Expect(officer.GetByRole(AriaRole.Row).Filter(new() { HasText = "Risk assessment needed" }).Filter(new() { HasText = caseId[..8] })
            .GetByRole(AriaRole.Button)).ToHaveCountAsync(0);

        // A clinician assesses the risk: the alert about it now reads as no longer owed.
        var clinician = await console.NewPageAsync();
        await clinician.GotoAsync("/signin");
        await clinician.GetByLabel("Name").FillAsync("Alert Clinician");
        await clinician.GetByLabel("Role").SelectOptionAsync("Clinician");
        await clinician.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await clinician.GotoAsync($"/cases/{caseId}");
        await clinician.GetByLabel("Threat to life").SelectOptionAsync("None");
        await clinician.GetByLabel("Recommended route").SelectOptionAsync("NonEmergency");
        await clinician.GetByLabel("Current concerns accepted").SelectOptionAsync(["Physical"]);
        await clinician.GetByLabel("Rationale").FillAsync("Assessed with the user");
        await clinician.GetByRole(AriaRole.Button, new() { Name = "Record risk assessment" }).ClickAsync();
        await Assertions.Expect(clinician.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await officer.ReloadAsync();
        await Assertions.Expect(row.First.GetByRole(AriaRole.Cell).Nth(3)).ToHaveTextAsync("No: done, or its deadline moved");
    }

    /// <summary>
    /// An officer half way through a note in one tab follows an alert's link from their email (another site) into a new
    /// tab: the note in the first tab is still recorded when sent. The console's antiforgery cookie was SameSite=Strict,
    /// which the browser holds back on a navigation from another site, so that page set a new one and every form already
    /// open in other tabs was refused with a bare 400, the note typed in it lost.
    /// </summary>
    [Fact]
    public async Task A_note_being_written_in_one_tab_is_recorded_after_an_alerts_link_from_email_opens_the_case_in_another()
    {
        var officer = await console.NewPageAsync();
        await Journeys.SignInAsync(officer, "Tabs Officer", "SafeguardingOfficer");
        await Journeys.OpenCaseAsync(officer, "text-tabs-1", 14, "Texted about school");
        await officer.GetByLabel("Note", new() { Exact = true }).FillAsync("Twenty minutes of careful notes from the call");

        // The alert's email, read in webmail on another site: its link opens the case in a new tab.
        var mail = await officer.Context.NewPageAsync();
        await mail.SetContentAsync($"<!DOCTYPE html><html lang=\"en\"><title>Webmail</title><main><a href=\"{officer.Url}\">Open the case</a></main></html>");
        await mail.GetByRole(AriaRole.Link, new() { Name = "Open the case" }).ClickAsync();
        await Journeys.ArrivesAtAsync(mail, new Regex("/cases/[0-9a-f-]{36}$"));
        await Assertions.Expect(mail.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("text-tabs-1");

        // Back in the first tab, the note is sent, and recorded.
        await officer.BringToFrontAsync();
        await officer.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "Twenty minutes of careful notes from the call" })).ToHaveCountAsync(1);
    }
}
