using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    [Fact]
    public async Task A_lead_hands_an_officers_case_to_another_officer_who_then_finds_it_among_their_own()
    {
        var source = $"post-handover-{Guid.NewGuid():N}"[..22];
        var leaving = await console.NewPageAsync();
        await SignInAsync(leaving, "Officer Leaving", "SafeguardingOfficer");
        var id = await OpenCaseAsync(leaving, source, 15, "Worried about a step-parent");
        await leaving.GetByLabel("Your email for alerts").FillAsync("leaving@example.org");
        await leaving.GetByRole(AriaRole.Button, new() { Name = "Allocate to me" }).ClickAsync();
        await Assertions.Expect(Section(leaving, "Allocation")).ToContainTextAsync("Allocated to Officer Leaving");
        await Assertions.Expect(leaving.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" })).ToHaveCountAsync(0, new() { Timeout = 1000 });

        // The lead hands it over; without whom to, it is refused in words and changes nothing.
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Handover", "SafeguardingLead");
        await lead.GotoAsync($"/cases/{id}");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Cover");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("cover@example.org");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync("subject", new() { IgnoreCase = true });
        await Assertions.Expect(Section(lead, "Allocation")).ToContainTextAsync("Allocated to Officer Leaving");
        await lead.GetByLabel("Their sign-in name", new() { Exact = true }).FillAsync("officer-cover");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Cover");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("cover@example.org");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" }).ClickAsync();
        await Assertions.Expect(Section(lead, "Allocation")).ToContainTextAsync("Allocated to Officer Cover (officer-cover, cover@example.org)");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        // The officer covering finds it among their own cases; the one leaving no longer does.
        var cover = await console.NewPageAsync();
        await SignInAsync(cover, "Officer Cover", "SafeguardingOfficer");
        // Every page says whom it is signed in as, with the sign-in name a lead types.
        await Assertions.Expect(cover.GetByRole(AriaRole.Banner)).ToContainTextAsync("sign-in name officer-cover");
        foreach (var (page, count) in new[] { (cover, 1), (leaving, 0) })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
            await page.GetByLabel("Allocated to").SelectOptionAsync("me");
            await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = source })).ToHaveCountAsync(count);
        }
    }
}
