using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace SafeguardingCases.Web.Tests;

public sealed partial class Journeys
{
    [Fact]
    public async Task A_lead_finds_the_retention_reviews_due_among_the_work_queues_and_an_officer_does_not()
    {
        // An adult's closed case is due for review a second after closing in these tests (Retention__Schedule__Other).
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Review", "SafeguardingOfficer");
        await OpenCaseAsync(officer, "post-review-due", 34, "Asked about tenancy rights");
        await officer.GetByLabel("Reason for closing").FillAsync("Signposted; nothing more to do");
        await officer.GetByRole(AriaRole.Button, new() { Name = "Close case" }).ClickAsync();
        await Assertions.Expect(officer.GetByRole(AriaRole.Button, new() { Name = "Reopen case" })).ToBeVisibleAsync();
        await officer.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        await Assertions.Expect(Section(officer, "Risk assessment needed")).ToBeVisibleAsync();
        await Assertions.Expect(Section(officer, "Retention reviews due")).ToHaveCountAsync(0);
        await Assertions.Expect(officer.GetByRole(AriaRole.Link, new() { Name = "Reports" })).ToHaveCountAsync(0);
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Review", "SafeguardingLead");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        var reviews = Section(lead, "Retention reviews due");
        var row = reviews.GetByRole(AriaRole.Row).Filter(new() { HasText = "post-review-due" });
        await Assertions.Expect(row).ToContainTextAsync("Other");
        await Assertions.Expect(row).ToContainTextAsync("No");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await row.GetByRole(AriaRole.Link, new() { Name = "post-review-due" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("post-review-due");
        await Assertions.Expect(lead.GetByRole(AriaRole.Button, new() { Name = "Request destruction" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_lead_reads_the_escalation_report_by_week_route_and_age_group_without_a_token_or_a_terminal()
    {
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Reports", "SafeguardingLead");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Reports");
        var before = await TotalsAsync(lead);

        // A child's non-emergency escalation, made through the API, is counted in this week's row and in the totals.
        await EscalateThroughTheApiAsync();
        await lead.ReloadAsync();
        var after = await TotalsAsync(lead);
        after["Non-emergency"].ShouldBe(before.GetValueOrDefault("Non-emergency") + 1);
        after["Child"].ShouldBe(before.GetValueOrDefault("Child") + 1);
        after["Total"].ShouldBe(before.GetValueOrDefault("Total") + 1);
        after["Emergency"].ShouldBe(before.GetValueOrDefault("Emergency"));
        var week = System.Globalization.ISOWeek.GetWeekOfYear(DateTime.UtcNow);
        await Assertions.Expect(lead.GetByRole(AriaRole.Rowheader, new() { Name = $"{System.Globalization.ISOWeek.GetYear(DateTime.UtcNow)}-W{week:D2}" })).ToHaveCountAsync(1);
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await ConsoleFixture.ScreenshotAsync(lead, "reports");

        // Dates from before anything happened: no decisions. Dates the wrong way round: the API's refusal, in words.
        await lead.GetByLabel("From (UK date)").FillAsync("2001-01-01");
        await lead.GetByLabel("To (UK date, included)").FillAsync("2001-01-31");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Show report" }).ClickAsync();
        await Assertions.Expect(lead.GetByText("No decisions in these dates.")).ToBeVisibleAsync();
        await lead.GetByLabel("From (UK date)").FillAsync("2001-02-01");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Show report" }).ClickAsync();
        await Assertions.Expect(Alert(lead)).ToContainTextAsync("from must be before to");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        // An officer has no report to read: the page sends them to their work queues.
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Reports", "SafeguardingOfficer");
        await officer.GotoAsync("/reports");
        await Assertions.Expect(officer.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Work queues");
    }

    [Fact]
    public async Task A_second_lead_finds_an_override_waiting_on_them_and_approves_it_from_its_case()
    {
        var officer = await console.NewPageAsync();
        await SignInAsync(officer, "Officer Override", "SafeguardingOfficer");
        var id = await OpenCaseAsync(officer, "post-override-1", 28, "Worried about a partner");

        // The first lead asks for an override on the case and approves it: one of the two approvals OVERRIDE needs.
        var first = await console.NewPageAsync();
        await SignInAsync(first, "Lead Asking", "SafeguardingLead");
        await first.GotoAsync($"/cases/{id}");
        await first.GetByLabel("Override route").SelectOptionAsync("NonEmergency");
        await first.GetByLabel("Override for").SelectOptionAsync("service-user");
        await first.GetByLabel("Justification", new() { Exact = true }).FillAsync("Partner is a serving police officer; refer to the LADO");
        await first.GetByRole(AriaRole.Button, new() { Name = "Request override" }).ClickAsync();
        await Assertions.Expect(Section(first, "Overrides")).ToContainTextAsync("0 of 2 approvals");
        await first.GetByLabel("Your justification").FillAsync("I agree, as the lead who asked");
        await first.GetByRole(AriaRole.Button, new() { Name = "Approve override" }).ClickAsync();
        await Assertions.Expect(Section(first, "Overrides")).ToContainTextAsync("1 of 2 approvals");
        await first.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        await Assertions.Expect(Section(first, "Overrides awaiting a second lead").GetByRole(AriaRole.Row).Filter(new() { HasText = "Partner is a serving police officer" }))
            .ToContainTextAsync("you have approved; another lead must");

        // The second lead is told nothing out of band: the override is on their work queues, and its case one click away.
        var second = await console.NewPageAsync();
        await SignInAsync(second, "Lead Second", "SafeguardingLead");
        await second.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        var row = Section(second, "Overrides awaiting a second lead").GetByRole(AriaRole.Row).Filter(new() { HasText = "Partner is a serving police officer" });
        await Assertions.Expect(row).ToContainTextAsync("1 of 2: Lead Asking");
        await Assertions.Expect(row).ToContainTextAsync("Non-emergency for service-user");
        await ConsoleFixture.ShouldBeAccessibleAsync(second);
        await ConsoleFixture.ScreenshotAsync(second, "lead-work-queues");
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Assertions.Expect(second.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("post-override-1");
        await second.GetByLabel("Your justification").FillAsync("Agreed: the LADO must hear of it");
        await second.GetByRole(AriaRole.Button, new() { Name = "Approve override" }).ClickAsync();
        await Assertions.Expect(Section(second, "Overrides")).ToContainTextAsync("Approved.");
        await second.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        await Assertions.Expect(Section(second, "Retention reviews due")).ToBeVisibleAsync();
        await Assertions.Expect(Section(second, "Overrides awaiting a second lead").GetByRole(AriaRole.Row).Filter(new() { HasText = "Partner is a serving police officer" }))
            .ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_lead_registers_a_webhook_once_however_often_the_form_is_sent_and_sees_its_failing_deliveries()
    {
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Hooks", "SafeguardingLead");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Webhooks");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);

        // A receiver that is down: nothing listens on this port.
        var url = $"http://127.0.0.1:{SafeguardingCases.Testing.Loopback.FreePort()}/hook";
        await lead.GetByLabel("Address (https://…)").FillAsync(url);
        await lead.GetByLabel("An escalation made").CheckAsync();
        var form = lead.Locator("form").Filter(new() { Has = lead.GetByRole(AriaRole.Button, new() { Name = "Register endpoint" }) });
        var fields = await form.EvaluateAsync<Dictionary<string, string>>(
            "f => Object.fromEntries(Array.from(new FormData(f).entries()).map(([k, v]) => [k, String(v)]))");
        await lead.GetByRole(AriaRole.Button, new() { Name = "Register endpoint" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToContainTextAsync($"Signing secret for {url}");
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToContainTextAsync("whsec_");
        // The same form sent again (a double click, a refresh): the first registration, not a second endpoint.
        var data = lead.Context.APIRequest.CreateFormData();
        foreach (var (name, value) in fields) data.Append(name, value);
        (await lead.Context.APIRequest.PostAsync("/webhooks", new() { Multipart = data, MaxRedirects = 0 })).Status.ShouldBe(200);
        await lead.GotoAsync("/webhooks");
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToHaveCountAsync(0);
        await Assertions.Expect(lead.GetByRole(AriaRole.Link, new() { Name = $"Deliveries to {url}" })).ToHaveCountAsync(1);

        // An escalation is delivered, fails, and the lead sees it failing, and asks for it again.
        await Task.Delay(1500);
        await EscalateThroughTheApiAsync();
        await lead.GetByRole(AriaRole.Link, new() { Name = $"Deliveries to {url}" }).ClickAsync();
        var row = lead.GetByRole(AriaRole.Row).Filter(new() { HasText = "Escalation made" });
        for (var i = 0; i < 40 && !(await row.CountAsync() > 0 && (await row.First.InnerTextAsync()).Contains("Failing", StringComparison.Ordinal)); i++)
        {
            await Task.Delay(250);
            await lead.ReloadAsync();
        }
        await Assertions.Expect(row).ToContainTextAsync("Failing: last attempt failed: the receiver could not be reached; next attempt");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
        await ConsoleFixture.ScreenshotAsync(lead, "webhook-deliveries");
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Deliver again") }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Assertions.Expect(lead.GetByRole(AriaRole.Row).Filter(new() { HasText = "Escalation made" })).ToHaveCountAsync(1);

        // A new secret, shown once; then the endpoint removed.
        await lead.GetByRole(AriaRole.Link, new() { Name = "All webhook endpoints" }).ClickAsync();
        await lead.GetByRole(AriaRole.Button, new() { Name = $"New signing secret for {url}" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Status)).ToContainTextAsync($"Signing secret for {url}");
        await lead.GetByRole(AriaRole.Button, new() { Name = $"Remove {url}" }).ClickAsync();
        await Assertions.Expect(lead.GetByRole(AriaRole.Link, new() { Name = $"Deliveries to {url}" })).ToHaveCountAsync(0);
        await Assertions.Expect(lead.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
    }

    /// <summary>The report's "All weeks" row: each column's number by its heading.</summary>
    private static async Task<Dictionary<string, int>> TotalsAsync(IPage page)
    {
        var totals = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = page.GetByRole(AriaRole.Table);
        if (await table.CountAsync() == 0) return totals;
        var headings = await table.Locator("thead th").AllInnerTextsAsync();
        var cells = await table.Locator("tfoot tr").Locator("th, td").AllInnerTextsAsync();
        for (var i = 1; i < headings.Count; i++) totals[headings[i].Trim()] = int.Parse(cells[i].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return totals;
    }

    /// <summary>A fifteen-year-old's case escalated on the non-emergency route, straight through the API.</summary>
    private async Task<Guid> EscalateThroughTheApiAsync()
    {
        using var officer = ApiClient("officer-report", "SafeguardingOfficer");
        using var clinician = ApiClient("clinician-report", "Clinician");
        async Task<JsonNode> Created(HttpClient client, string path, object body)
        {
            using var response = await client.PostAsync(path, JsonContent.Create(body));
            response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        }
        var id = (await Created(officer, "/api/v1/cases", new
        {
            channel = "Chat", sourceReference = "chat-report-1", serviceUser = new { reference = "handle-report", ageYears = 15 }, summary = "Worried about home",
        }))["id"]!.GetValue<Guid>();
        var url = $"/api/v1/cases/{id}";
        var disclosure = (await Created(officer, $"{url}/disclosures", new
        {
            disclosedAt = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            channel = "Chat", sourceReference = "msg-1", summary = "Says they are hit at home",
            concerns = new[] { new { category = "Physical", status = "Current", personId = "service-user" } },
        }))["disclosureId"]!.GetValue<Guid>();
        var assessment = (await Created(clinician, $"{url}/risk-assessments", new
        {
            assessments = new[] { new { personId = "service-user", threatToLife = "None", currentConcerns = new[] { "Physical" }, recommendedRoute = "NonEmergency" } },
            rationale = "Clinical rationale",
        }))["riskAssessmentId"]!.GetValue<Guid>();
        await Created(officer, $"{url}/safety-plans", new { outcome = "NotPossible", reason = "Tried with the user" });
        await Created(officer, $"{url}/escalations", new
        {
            route = "NonEmergency", agency = "Police101", personId = "service-user", riskAssessmentId = assessment, reliesOn = new[] { disclosure },
            informationShared = new[] { "Name" },
        });
        return id;
    }

    [Fact]
    public async Task A_queue_longer_than_a_page_goes_on_on_a_page_of_its_own()
    {
        // 26 cases owing a risk assessment (a disclosure each), more than the queue's page of 25.
        using var officer = ApiClient("officer-queue", "SafeguardingOfficer");
        for (var i = 0; i < 26; i++)
        {
            using var opened = await officer.PostAsync("/api/v1/cases", JsonContent.Create(new
            {
                channel = "Chat", sourceReference = $"chat-queue-{i}", serviceUser = new { reference = $"handle-queue-{i}", ageYears = 15 }, summary = "Worried",
            }));
            var id = (await opened.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<Guid>();
            using var disclosed = await officer.PostAsync($"/api/v1/cases/{id}/disclosures", JsonContent.Create(new
            {
                disclosedAt = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
                channel = "Chat", sourceReference = "msg-1", summary = "Says they are hit at home",
                concerns = new[] { new { category = "Physical", status = "Current", personId = "service-user" } },
            }));
            disclosed.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created);
        }
        var lead = await console.NewPageAsync();
        await SignInAsync(lead, "Lead Queue", "SafeguardingLead");
        await lead.GetByRole(AriaRole.Link, new() { Name = "Work queues" }).ClickAsync();
        var firstPage = await Section(lead, "Risk assessment needed").GetByRole(AriaRole.Row).AllInnerTextsAsync();
        await Section(lead, "Risk assessment needed").GetByRole(AriaRole.Link, new() { Name = "More: Risk assessment needed" }).ClickAsync();
        await Journeys.ArrivesAtAsync(lead, new System.Text.RegularExpressions.Regex("[?]queue=RiskAssessmentNeeded&cursor="));
        // The next page of that queue alone: no other queue, the leads' ones included.
        await Assertions.Expect(lead.GetByRole(AriaRole.Heading, new() { Level = 2 })).ToHaveTextAsync(["Risk assessment needed"]);
        var secondPage = await Section(lead, "Risk assessment needed").GetByRole(AriaRole.Row).AllInnerTextsAsync();
        secondPage.Skip(1).ShouldNotBeEmpty();
        secondPage.Skip(1).ShouldAllBe(row => !firstPage.Contains(row), "the page after the first, not the first again");
        await ConsoleFixture.ShouldBeAccessibleAsync(lead);
    }

    [Fact]
    public async Task An_auditor_reaches_this_weeks_escalations_however_many_came_before_them()
    {
        // More escalations than a page: the auditor's page once showed the first 25 ever made and nothing after them.
        Guid newest = default;
        for (var i = 0; i < 26; i++) newest = await EscalateThroughTheApiAsync();
        var auditor = await console.NewPageAsync();
        await SignInAsync(auditor, "Auditor Pages", "Auditor");
        await Journeys.ArrivesAtAsync(auditor, new System.Text.RegularExpressions.Regex("/audit$"));
        var recheck = Section(auditor, "Escalations re-checked against the policy of their time");
        for (var page = 0; page < 20 && await recheck.GetByRole(AriaRole.Link, new() { Name = newest.ToString() }).CountAsync() == 0; page++)
        {
            // The next page, once it has replaced this one (a count taken before would read the old page).
            var before = auditor.Url;
            await recheck.GetByRole(AriaRole.Link, new() { Name = "More escalations" }).ClickAsync();
            await auditor.WaitForURLAsync(url => url != before);
        }
        await Assertions.Expect(recheck.GetByRole(AriaRole.Link, new() { Name = newest.ToString() })).ToHaveCountAsync(1);
        await Assertions.Expect(recheck.GetByRole(AriaRole.Row).Filter(new() { HasText = newest.ToString() })).ToContainTextAsync("Agrees");
        await ConsoleFixture.ShouldBeAccessibleAsync(auditor);

        // From a later date than anything: nothing since then, said so.
        await auditor.GetByLabel("Lists below since (UK date)").FillAsync(DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Show since then" }).ClickAsync();
        await Assertions.Expect(auditor.GetByText("No escalation since then.")).ToBeVisibleAsync();
    }

    private HttpClient ApiClient(string subject, string role) => ConsoleFixture.ApiClient(console.Address, subject, role);
}
