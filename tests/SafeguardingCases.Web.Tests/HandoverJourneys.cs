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

        // The officer who will cover has signed in before (so the directory knows their sign-in name).
        var cover = await console.NewPageAsync();
        await SignInAsync(cover, "Officer Cover", "SafeguardingOfficer");
        // Every page says whom it is signed in as, with the sign-in name a lead types.
        await Assertions.Expect(cover.GetByRole(AriaRole.Banner)).ToContainTextAsync("sign-in name officer-cover");

        // The lead hands it over; without whom to, it is refused in words and changes nothing.
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Handover", "SafeguardingLead");
        await lead.GotoAsync($"/cases/{id}");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Cover");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("cover@example.org");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync("subject", new() { IgnoreCase = true });
        await Assertions.Expect(Section(lead, "Allocation")).ToContainTextAsync("Allocated to Officer Leaving");
        // A sign-in name typed wrong, that nobody has signed in as: refused before anything is sent, and said so.
        await lead.GetByLabel("Their sign-in name", new() { Exact = true }).FillAsync("officer-covr");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Cover");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("cover@example.org");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync("Nobody has signed in as officer-covr");
        await Assertions.Expect(Section(lead, "Allocation")).ToContainTextAsync("Allocated to Officer Leaving");
        // The field offers the sign-in names of everyone who has signed in.
        await Assertions.Expect(lead.Locator("datalist#staff-names option[value='officer-cover']")).ToHaveCountAsync(1);
        await lead.GetByLabel("Their sign-in name", new() { Exact = true }).FillAsync("officer-cover");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Cover");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("cover@example.org");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Allocate to them" }).ClickAsync();
        await Assertions.Expect(Section(lead, "Allocation")).ToContainTextAsync("Allocated to Officer Cover (officer-cover, cover@example.org)");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await ContentsListEverySectionAsync(lead);

        // The officer covering finds it among their own cases; the one leaving no longer does.
        foreach (var (page, count) in new[] { (cover, 1), (leaving, 0) })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
            await page.GetByLabel("Allocated to").SelectOptionAsync("me");
            await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = source })).ToHaveCountAsync(count);
        }
    }

    [Fact]
    public async Task A_lead_hands_every_case_of_an_officer_who_is_away_to_another_and_sending_the_form_again_changes_nothing()
    {
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var away = await console.NewPageAsync();
        await SignInAsync(away, $"Officer Away {suffix}", "SafeguardingOfficer");
        var sources = new[] { $"post-away-1-{suffix}", $"post-away-2-{suffix}" };
        foreach (var source in sources)
        {
            await OpenCaseAsync(away, source, 15, "Worried about home");
            await away.GetByLabel("Your email for alerts").FillAsync("away@example.org");
            await away.GetByRole(AriaRole.Button, new() { Name = "Allocate to me" }).ClickAsync();
            await Assertions.Expect(Section(away, "Allocation")).ToContainTextAsync("Allocated to Officer Away");
        }

        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Shares Out", "SafeguardingLead");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await lead.GetByRole(AriaRole.Link, new() { Name = "Hand over someone's cases" }).ClickAsync();
        await lead.GetByLabel("From (their sign-in name)").FillAsync($"officer-away-{suffix}");
        await lead.GetByLabel("To (their sign-in name)").FillAsync($"officer-back-{suffix}");
        await lead.GetByLabel("Their name", new() { Exact = true }).FillAsync("Officer Back");
        await lead.GetByLabel("Their email for alerts", new() { Exact = true }).FillAsync("back@example.org");
        // Nobody has signed in as them yet: refused until the lead says they know.
        await lead.GetByRole(AriaRole.Button, new() { Name = "Hand over cases" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync($"Nobody has signed in as officer-back-{suffix}");
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await ConsoleFixture.ScreenshotAsync(lead, "handover-unknown-name");
        await lead.GetByLabel("They have not signed in yet").CheckAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = "Hand over cases" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToHaveTextAsync("Handed over 2 cases to Officer Back.");
        foreach (var source in sources)
            await Assertions.Expect(lead.GetByRole(AriaRole.Table).GetByRole(AriaRole.Link, new() { Name = source })).ToHaveCountAsync(1);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        // Sent again (a refresh): nothing is left to hand over.
        await lead.ReloadAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToHaveTextAsync("No case you may see is allocated to them.");

        var back = await console.NewPageAsync();
        await SignInAsync(back, $"Officer Back {suffix}", "SafeguardingOfficer");
        await back.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await back.GetByLabel("Allocated to").SelectOptionAsync("me");
        await back.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        foreach (var source in sources)
            await Assertions.Expect(back.GetByRole(AriaRole.Link, new() { Name = source })).ToHaveCountAsync(1);

        // Officers have no such page.
        await away.GotoAsync("/handover");
        await Assertions.Expect(away.GetByRole(AriaRole.Button, new() { Name = "Hand over cases" })).ToHaveCountAsync(0);
    }
}
