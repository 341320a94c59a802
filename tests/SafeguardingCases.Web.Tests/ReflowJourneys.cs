using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    /// <summary>
    /// WCAG 2.2 1.4.10 Reflow (AA): at 320 CSS pixels wide (a phone, or 1280 pixels zoomed to 400%) no page scrolls
    /// sideways; a wide table scrolls inside its own region, which a keyboard can reach. axe does not check reflow.
    /// </summary>
    [Fact]
    public async Task Every_page_reflows_at_320_css_pixels_without_scrolling_sideways()
    {
        var officer = await NarrowPageAsync();
        await officer.GotoAsync("/signin");
        await ShouldReflowAsync(officer);
        await SignInAsync(officer, "Officer Narrow", "SafeguardingOfficer");
        var id = await OpenCaseAsync(officer, "post-on-a-phone-with-a-long-reference-0123456789", 15, "Says an older cousin hurts them when they visit");
        await officer.GetByLabel("Note", new() { Exact = true }).FillAsync("Called back; the user is safe tonight and will post again tomorrow.");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Add note" }).ClickAsync();
        await Assertions.Expect(Section(officer, "Timeline")).ToContainTextAsync("the user is safe tonight");
        await ShouldReflowAsync(officer);
        await officer.GotoAsync($"/cases/{id}");
        await ConsoleFixture.ScreenshotAsync(officer, "case-on-a-phone", fullPage: false);
        foreach (var path in new[] { "/", "/cases", "/cases/new", "/alerts" })
        {
            await officer.GotoAsync(path);
            await ShouldReflowAsync(officer);
        }

        var auditor = await NarrowPageAsync();
        await SignInAsync(auditor, "Auditor Narrow", "Auditor");
        await auditor.WaitForURLAsync(new Regex("/audit$"));
        await auditor.GetByLabel("Case id").FillAsync(id);
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Verify integrity and show its access log" }).ClickAsync();
        await Assertions.Expect(Section(auditor, "Access log of this case").GetByRole(AriaRole.Row)).Not.ToHaveCountAsync(0);
        await ShouldReflowAsync(auditor);
        await auditor.GotoAsync($"/cases/{id}/as-of?version=1");
        await ShouldReflowAsync(auditor);
        await auditor.GotoAsync("/reports");
        await ShouldReflowAsync(auditor);

        // A lead's own pages: their work queues (with the overrides and retention queues), webhooks and a case.
        var lead = await NarrowPageAsync();
        await SignInAsync(lead, "Lead Narrow", "SafeguardingLead");
        foreach (var path in new[] { "/", "/webhooks", "/handover", $"/cases/{id}" })
        {
            await lead.GotoAsync(path);
            await ShouldReflowAsync(lead);
        }
    }

    private async Task<IPage> NarrowPageAsync()
    {
        var page = await console.NewPageAsync();
        await page.SetViewportSizeAsync(320, 800);
        return page;
    }

    /// <summary>The page is no wider than the window (naming what sticks out when it is), and passes axe as it stands.</summary>
    private static async Task ShouldReflowAsync(IPage page)
    {
        // Laid out once its stylesheet has loaded (the pages have no script, so nothing changes them after "load").
        await ConsoleFixture.LoadedAsync(page);
        var wider = await page.EvaluateAsync<string[]>("""
            () => {
              const width = document.documentElement.clientWidth;
              if (document.documentElement.scrollWidth <= width) return [];
              return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1 && ![...e.children].some(c => c.getBoundingClientRect().right > width + 1))
                .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return false; return true; })
                .slice(0, 8)
                .map(e => `${e.tagName.toLowerCase()}${e.className ? '.' + e.className : ''} (${Math.round(e.getBoundingClientRect().right)} px): ${(e.textContent || '').trim().slice(0, 40)}`);
            }
            """);
        wider.ShouldBeEmpty($"{page.Url} scrolls sideways at 320 px; what sticks out");
        await ConsoleFixture.ShouldBeAccessibleAsync(page);
    }
}
