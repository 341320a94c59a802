using Microsoft.Data.Sqlite;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// What the console leaves in the browser's own profile on a staff member's computer: Chromium with a profile on disk
/// (as a person's browser has), read back after it closes.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BrowserProfileTests(ConsoleFixture console)
{
    [Fact]
    public async Task What_is_typed_about_a_young_person_is_kept_neither_in_the_browser_s_autocomplete_nor_in_its_saved_tabs()
    {
        var profile = Directory.CreateTempSubdirectory("sg-chromium-profile-");
        try
        {
            using var playwright = await Playwright.CreateAsync();
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile.FullName, new()
            {
                ExecutablePath = ConsoleFixture.ChromiumPath,
                Headless = true,
                Args = ConsoleFixture.ChromiumArgs,
                BaseURL = console.Address.ToString(),
                Locale = "en-GB",
            });
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            await Journeys.SignInAsync(page, "Officer Profile", "SafeguardingOfficer");
            // A case's references, a person at risk, and a search by reference: each typed into a one-line field, which
            // Chromium keeps (by the field's name) and offers again to whoever types into that field next: on a
            // shared computer, the next member of staff, and on any computer, anyone who opens the browser's settings.
            await Journeys.OpenCaseAsync(page, "chat-autocomplete-probe", 15, "Worried about home");
            await page.GetByLabel("Reference", new() { Exact = true }).FillAsync("sister-autocomplete-probe");
            await page.GetByLabel("Description", new() { Exact = true }).FillAsync("Younger sister, autocomplete-probe");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add person" }).ClickAsync();
            await Assertions.Expect(Journeys.Section(page, "Persons")).ToContainTextAsync("sister-autocomplete-probe");
            await page.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
            await page.GetByLabel("Reference", new() { Exact = true }).FillAsync("chat-autocomplete-probe");
            await page.GetByRole(AriaRole.Button, new() { Name = "Find cases" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "chat-autocomplete-probe" }).First).ToBeVisibleAsync();
            // A note half written, then another page opened in the same tab: Chromium saves each page's form values
            // with the tab's history in its session files (to restore the tabs, and their forms, after a restart).
            await page.GetByRole(AriaRole.Link, new() { Name = "chat-autocomplete-probe" }).First.ClickAsync();
            await page.GetByLabel("Note", new() { Exact = true }).FillAsync("Half-written note: session-restore-probe");
            await page.GetByRole(AriaRole.Link, new() { Name = "Cases", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Cases");
            await context.CloseAsync();

            var kept = new List<(string Name, string Value)>();
            await using (var db = new SqliteConnection($"Data Source={Path.Combine(profile.FullName, "Default", "Web Data")};Mode=ReadOnly;Pooling=False"))
            {
                await db.OpenAsync();
                await using var command = db.CreateCommand();
                command.CommandText = "select name, value from autofill";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync()) kept.Add((reader.GetString(0), reader.GetString(1)));
            }
            var said = string.Join("; ", kept.Select(k => $"{k.Name} = {k.Value}"));
            // Chromium does keep what is typed where the console allows it (the sign-in form's name, in both places), so
            // this test sees what it keeps.
            kept.ShouldContain(k => k.Value == "Officer Profile", said);
            FilesHolding(profile, "Officer Profile").ShouldContain(f => f.StartsWith(Path.Combine("Default", "Sessions"), StringComparison.Ordinal));
            kept.ShouldNotContain(k => k.Value.Contains("autocomplete-probe"), said);
            FilesHolding(profile, "session-restore-probe").ShouldBeEmpty();
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    /// <summary>The profile's files holding a text, as UTF-8 or UTF-16 (how the session files keep a form's values).</summary>
    private static List<string> FilesHolding(DirectoryInfo profile, string text) =>
        Directory.EnumerateFiles(profile.FullName, "*", SearchOption.AllDirectories)
            .Where(f => File.ReadAllBytes(f) is var bytes && (Holds(bytes, System.Text.Encoding.UTF8.GetBytes(text)) || Holds(bytes, System.Text.Encoding.Unicode.GetBytes(text))))
            .Select(f => Path.GetRelativePath(profile.FullName, f))
            .ToList();

    private static bool Holds(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
