using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// A lead's handover sent while PostgreSQL is down: the page says so and claims nothing; the same form sent again once
/// the database is back hands each case over once, and a third time finds nothing left. Its own API on its own
/// PostgreSQL cluster (crashed with <c>pg_ctl -m immediate</c>), so the other journeys never see the outage.
/// </summary>
[Collection(OwnApiCollection.Name)]
public sealed class HandoverOutageTests
{
    [Fact]
    public async Task A_handover_sent_while_PostgreSQL_is_down_moves_nothing_and_sent_again_once_it_is_back_moves_each_case_once()
    {
        // Durable: what the API acknowledged before the crash (the two allocations) must still be there after it.
        using var cluster = await SafeguardingCases.Testing.LocalCluster.StartAsync(durable: true);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var (api, address) = await ConsoleFixture.StartApiAsync(
            cluster.ConnectionString.Replace(";Include Error Detail=true", "", StringComparison.Ordinal) + ";Timeout=3;Command Timeout=10", output);
        try
        {
            // An officer's two cases, allocated to themselves.
            using var officer = ConsoleFixture.ApiClient(address, "officer-away", "SafeguardingOfficer");
            var ids = new List<Guid>();
            for (var i = 0; i < 2; i++)
            {
                using var opened = await officer.PostAsync("/api/v1/cases", JsonContent.Create(new
                {
                    channel = "Chat", sourceReference = $"chat-outage-{i}", serviceUser = new { reference = $"handle-outage-{i}", ageYears = 15 }, summary = "Worried",
                }));
                opened.StatusCode.ShouldBe(HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
                var id = (await opened.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
                using var allocated = await officer.PutAsync($"/api/v1/cases/{id}/allocation",
                    JsonContent.Create(new { subject = "officer-away", name = "Officer Away", email = "away@example.org" }));
                allocated.StatusCode.ShouldBe(HttpStatusCode.OK, await allocated.Content.ReadAsStringAsync());
                ids.Add(id);
            }

            using var lead = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = address };
            (await ConsoleSecurityTests.SignInAsync(lead, "Lead Outage", "SafeguardingLead")).StatusCode.ShouldBe(HttpStatusCode.Found);
            var form = await (await lead.GetAsync("/handover")).Content.ReadAsStringAsync();
            // The form as the browser sends it, with the key it was shown with each time: a refresh, a second click.
            var fields = new Dictionary<string, string>
            {
                ["_handler"] = "handover", ["__RequestVerificationToken"] = Field(form, "__RequestVerificationToken"),
                ["Form.Key"] = Field(form, "Form.Key"), ["Form.Version"] = "",
                ["Form.From"] = "officer-away", ["Form.To"] = "officer-back", ["Form.Name"] = "Officer Back", ["Form.Email"] = "back@example.org",
                // Nobody has signed in as officer-back: the lead says they know.
                ["Form.NotSignedInYet"] = "true",
            };
            async Task<string> SendAsync()
            {
                using var answer = await lead.PostAsync("/handover", new FormUrlEncodedContent(fields));
                answer.StatusCode.ShouldBe(HttpStatusCode.OK);
                return await answer.Content.ReadAsStringAsync();
            }

            await cluster.CrashAsync();
            var down = await SendAsync();
            down.ShouldContain("role=\"alert\"");
            down.ShouldNotContain("Handed over");
            down.ShouldNotContain("No case you may see is allocated to them.");

            await cluster.RestartAsync();
            await ConsoleFixture.WaitUntilReadyAsync(api, address, output);
            var back = await SendAsync();
            back.ShouldContain("Handed over 2 cases to Officer Back.", customMessage: MainText(back));
            back.ShouldNotContain("role=\"alert\"");
            (await SendAsync()).ShouldContain("No case you may see is allocated to them.");

            // Each case allocated once more, to the person it was handed to: opened, allocated, handed over.
            foreach (var id in ids)
            {
                using var read = await officer.GetAsync($"/api/v1/cases/{id}");
                var view = (await read.Content.ReadFromJsonAsync<JsonNode>())!;
                view["allocation"]!["subject"]!.GetValue<string>().ShouldBe("officer-back");
                view["version"]!.GetValue<long>().ShouldBe(3);
            }
        }
        finally
        {
            api.Kill(entireProcessTree: true);
            api.Dispose();
        }
    }

    /// <summary>What the page says in its main content, without its markup (for a failure's message).</summary>
    private static string MainText(string page) =>
        Regex.Replace(page[Math.Max(0, page.IndexOf("<main", StringComparison.Ordinal))..], "<[^>]+>", " ");

    private static string Field(string page, string name) =>
        Regex.Match(page, $"name=\"{Regex.Escape(name)}\" value=\"([^\"]*)\"") is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException($"The page has no field {name}");
}
