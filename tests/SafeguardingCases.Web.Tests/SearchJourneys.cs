using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    [Fact]
    public async Task An_officer_learns_a_young_person_is_already_known_when_opening_their_second_case_and_finds_their_cases_by_reference()
    {
        var handle = $"chat-Known-{Guid.NewGuid():N}"[..22];
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Search", "SafeguardingOfficer");
        var first = await OpenCaseAsync(officer, handle, 14, "Worried about a step-parent");
        await Assertions.Expect(Section(officer, "Other cases of this service user")).ToContainTextAsync("No other case you may see has this service user's reference.");

        // A second contact from the same handle: the new case's page says the young person is already known, and where.
        var second = await OpenCaseAsync(officer, handle, 14, "Came back on chat");
        var others = Section(officer, "Other cases of this service user");
        await Assertions.Expect(others).ToContainTextAsync("one other case");
        await Assertions.Expect(others.GetByRole(AriaRole.Row).Filter(new() { HasText = "Worried about a step-parent" })
            .GetByRole(AriaRole.Link, new() { Name = handle })).ToHaveAttributeAsync("href", $"/cases/{first}");
        await Assertions.Expect(others.GetByRole(AriaRole.Row).Filter(new() { HasText = "Came back on chat" })).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);

        // From the case list, typed as a person would (other capitals, a space after it): both, newest first; the
        // reference never appears in the address.
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByLabel("Reference", new() { Exact = true }).FillAsync(handle.ToUpperInvariant() + " ");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Find cases" }).ClickAsync();
        var found = Section(officer, "Find cases by reference");
        await Assertions.Expect(found.GetByRole(AriaRole.Status)).ToHaveTextAsync("2 cases have this reference, most recently changed first.");
        var links = found.GetByRole(AriaRole.Table).GetByRole(AriaRole.Link);
        await Assertions.Expect(links).ToHaveCountAsync(2);
        (await links.Nth(0).GetAttributeAsync("href")).ShouldBe($"/cases/{second}");
        (await links.Nth(1).GetAttributeAsync("href")).ShouldBe($"/cases/{first}");
        officer.Url.ShouldNotContain(handle, Case.Insensitive);
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await ConsoleFixture.ScreenshotAsync(officer, "case-search");

        await officer.GetByLabel("Reference", new() { Exact = true }).FillAsync("chat-nobody-has-this");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Find cases" }).ClickAsync();
        await Assertions.Expect(found.GetByRole(AriaRole.Status)).ToHaveTextAsync("No case you may see has this reference.");
        await officer.GetByLabel("Reference", new() { Exact = true }).FillAsync("   ");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Find cases" }).ClickAsync();
        await Assertions.Expect(found.GetByRole(AriaRole.Alert)).ToContainTextAsync("reference");
    }
}
