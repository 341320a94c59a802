using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    [Fact]
    public async Task An_officer_sees_what_is_due_on_the_cases_allocated_to_them_and_every_case_when_they_ask()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Mine", "SafeguardingOfficer");
        await OpenCaseAsync(officer, "chat-mine-allocated", 15, "Worried about a step-parent");
        await officer.GetByLabel("Your email for alerts").FillAsync("officer.mine@example.org");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Allocate to me" }).ClickAsync();
        await Assertions.Expect(Section(officer, "Allocation")).ToContainTextAsync("Allocated to Officer Mine");
        await DiscloseAsync(officer, "Says the step-parent hits them");
        await OpenCaseAsync(officer, "chat-mine-unallocated", 14, "Worried about a friend");
        await DiscloseAsync(officer, "Says a friend is being hurt at home");

        // Every case's risk assessment owed, by default; only the allocated one's when the officer asks for their own.
        await officer.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        (await QueueListsAsync(officer, "Risk assessment needed", "chat-mine-allocated")).ShouldBeTrue();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        (await QueueListsAsync(officer, "Risk assessment needed", "chat-mine-unallocated")).ShouldBeTrue();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases allocated to me" }).ClickAsync();
        var queue = Section(officer, "Risk assessment needed");
        await Assertions.Expect(officer.GetByText("Every obligation due on the cases allocated to you")).ToBeVisibleAsync();
        await Assertions.Expect(queue.GetByRole(AriaRole.Link, new() { Name = "chat-mine-allocated" })).ToHaveCountAsync(1);
        await Assertions.Expect(queue.GetByRole(AriaRole.Link, new() { Name = "chat-mine-unallocated" })).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
        await officer.GetByRole(AriaRole.Link, new() { Name = "Every case" }).ClickAsync();
        (await QueueListsAsync(officer, "Risk assessment needed", "chat-mine-unallocated")).ShouldBeTrue();

        // The case list filters the same way, and says who each case is allocated to.
        await officer.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
        await officer.GetByLabel("Allocated to").SelectOptionAsync("me");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Row).Filter(new() { HasText = "chat-mine-allocated" })).ToContainTextAsync("officer-mine");
        await Assertions.Expect(officer.GetByRole(AriaRole.Link, new() { Name = "chat-mine-unallocated" })).ToHaveCountAsync(0);
        await ConsoleFixture.ShouldBeAccessibleAsync(officer);
    }

    private static async Task DiscloseAsync(IPage page, string what)
    {
        await page.GetByLabel("What was disclosed").FillAsync(what);
        await page.GetByLabel("Concern category", new() { Exact = true }).SelectOptionAsync("Physical");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record disclosure" }).ClickAsync();
        await Assertions.Expect(Section(page, "Disclosures")).ToContainTextAsync(what);
    }
}
