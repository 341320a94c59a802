using System.Net;
using MimeKit;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Exactly one alert per obligation and threshold, one email each and one webhook delivery per event, when the API is
/// killed with SIGKILL in the middle of the ladder and started again, when PostgreSQL crashes and restarts in the
/// middle, and when two API processes sweep the same database. Real processes, a real SMTP server, a real HTTP
/// receiver and real time: the notice is owed within 8 s, "due soon" is 6 s before, the ladder 2 s after.
/// </summary>
public sealed class AlertFaultTests
{
    private static Dictionary<string, string> Settings(TestSmtpServer smtp) => new()
    {
        ["Policy__TransparencyNoticeDue"] = "PT8S",
        ["Notifications__DueSoon"] = "PT6S",
        ["Notifications__EscalateAfter"] = "PT2S",
        ["Notifications__SweepInterval"] = "PT0.2S",
        ["Notifications__Smtp__Host"] = "127.0.0.1",
        ["Notifications__Smtp__Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Notifications__EscalateTo"] = "leads@example.org",
    };

    /// <summary>Registers the receiver for every event, as a lead of <paramref name="api"/>.</summary>
    private static async Task RegisterAsync(ApiProcess api, TestWebhookReceiver receiver)
    {
        var registered = await (await api.ClientAs("lead-1", Roles.SafeguardingLead).PostJson("/api/v1/webhooks", new
        {
            url = receiver.Url,
            events = new[] { "ObligationDueSoon", "ObligationOverdue", "ObligationEscalated", "EscalationMade", "CaseClosed" },
        }).ShouldBe(HttpStatusCode.Created)).Json();
        receiver.Secrets.Add(registered["secret"]!.GetValue<string>());
        // The event feed starts where the store ends, on a sweep after the endpoint exists.
        await Task.Delay(500);
    }

    /// <summary>One delivery (by webhook-id) per event about the case: the escalation and the notice's three alerts, each signed.</summary>
    private static async Task ShouldBeOneDeliveryEachAsync(TestWebhookReceiver receiver, Guid caseId)
    {
        bool About(TestWebhookReceiver.Received r) => r.Body.Contains(caseId.ToString(), StringComparison.Ordinal)
            && (r.Body.Contains("EscalationMade", StringComparison.Ordinal) || r.Body.Contains("TransparencyNoticeDue", StringComparison.Ordinal));
        var all = await receiver.WaitForAsync(About, 4, seconds: 10);
        var types = all.GroupBy(r => r.Id).Select(g => System.Text.Json.Nodes.JsonNode.Parse(g.First().Body)!["type"]!.GetValue<string>()).Order().ToList();
        types.ShouldBe(["EscalationMade", "ObligationDueSoon", "ObligationEscalated", "ObligationOverdue"]);
        all.ShouldAllBe(r => receiver.SignedWith(r).Count == 1);
    }

    /// <summary>An allocated case with a non-emergency escalation: its notice is owed within 8 s.</summary>
    private static async Task<Guid> EscalatedCaseAsync(ApiProcess api)
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var clinician = api.ClientAs("clinician-1", Roles.Clinician);
        var id = (await (await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(15)).ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>();
        var url = $"/api/v1/cases/{id}";
        await officer.PutJson($"{url}/allocation", new { subject = "officer-1", name = "Officer One", email = "officer-1@example.org" }).ShouldBe(HttpStatusCode.OK);
        var d = (await (await officer.PostJson($"{url}/disclosures", new
        {
            disclosedAt = Iso(NodaTime.SystemClock.Instance.GetCurrentInstant() - NodaTime.Duration.FromMinutes(5)), channel = "Boards",
            sourceReference = "post-77", summary = "What the user said", concerns = new[] { Concern("Physical") },
        }).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var a = (await (await clinician.PostJson($"{url}/risk-assessments", new
        {
            assessments = new[] { Assessment("service-user", "None", "NonEmergency", "Physical") }, rationale = "Clinical rationale",
        }).ShouldBe(HttpStatusCode.Created)).Json())["riskAssessmentId"]!.GetValue<Guid>();
        await officer.PostJson($"{url}/safety-plans", new { outcome = "NotPossible", reason = "Tried with the user" }).ShouldBe(HttpStatusCode.Created);
        await officer.PostJson($"{url}/escalations", EscalationBody("NonEmergency", "Police101", a, [d])).ShouldBe(HttpStatusCode.Created);
        return id;
    }

    private static List<MimeMessage> NoticeEmails(TestSmtpServer smtp, Guid caseId) =>
        [.. smtp.Messages.Where(m => m.Subject is { } s && s.Contains(caseId.ToString(), StringComparison.Ordinal) && s.Contains("Transparency notice due (", StringComparison.Ordinal))];

    private static Func<MimeMessage, bool> Kind(Guid caseId, string kind) =>
        m => m.Subject is { } s && s.Contains(caseId.ToString(), StringComparison.Ordinal) && s.Contains("Transparency notice due (", StringComparison.Ordinal)
             && s.Contains($"{kind}) on case", StringComparison.Ordinal);

    /// <summary>Exactly one message (by Message-ID) of each kind; a resend after a crash would repeat a Message-ID, never add one.</summary>
    private static void ShouldBeOneOfEach(TestSmtpServer smtp, Guid caseId, bool noResends)
    {
        var all = NoticeEmails(smtp, caseId);
        var distinct = all.GroupBy(m => m.MessageId).Select(g => g.First()).ToList();
        distinct.Count.ShouldBe(3, string.Join(" | ", all.Select(m => m.Subject)));
        distinct.Count(Kind(caseId, "due soon")).ShouldBe(1);
        distinct.Count(Kind(caseId, "overdue")).ShouldBe(1);
        distinct.Count(Kind(caseId, "overdue and not acknowledged")).ShouldBe(1);
        if (noResends) all.Count.ShouldBe(3, "two instances never send one email twice");
    }

    [Fact]
    public async Task Killing_the_api_in_the_middle_of_the_ladder_neither_loses_nor_repeats_an_alert()
    {
        await using var smtp = new TestSmtpServer();
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("alertkill");
        var port = Loopback.FreePort();
        var api = await ApiProcess.StartAsync(connectionString, port, Settings(smtp));
        try
        {
            await RegisterAsync(api, receiver);
            var id = await EscalatedCaseAsync(api);
            (await smtp.WaitForAsync(Kind(id, "due soon"), 1)).Count.ShouldBe(1);
            await api.KillAsync();
            await api.DisposeAsync();
            api = await ApiProcess.StartAsync(connectionString, port, Settings(smtp));
            (await smtp.WaitForAsync(Kind(id, "overdue and not acknowledged"), 1, seconds: 30)).Count.ShouldBe(1);
            await Task.Delay(1500);
            ShouldBeOneOfEach(smtp, id, noResends: false);
            await ShouldBeOneDeliveryEachAsync(receiver, id);
        }
        finally
        {
            await api.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_instances_sweeping_one_database_raise_and_send_each_alert_once()
    {
        await using var smtp = new TestSmtpServer();
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var connectionString = await (await PostgresServer.GetAsync()).CreateDatabaseAsync("alerttwo");
        await using var one = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), Settings(smtp));
        await using var two = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), Settings(smtp));
        await RegisterAsync(two, receiver);
        var id = await EscalatedCaseAsync(one);
        (await smtp.WaitForAsync(Kind(id, "overdue and not acknowledged"), 1, seconds: 30)).Count.ShouldBe(1);
        await Task.Delay(1500);
        ShouldBeOneOfEach(smtp, id, noResends: true);
        await ShouldBeOneDeliveryEachAsync(receiver, id);
        var aboutCase = receiver.Deliveries.Where(r => r.Body.Contains(id.ToString(), StringComparison.Ordinal)).ToList();
        aboutCase.Count.ShouldBe(aboutCase.Select(r => r.Id).Distinct().Count(), "two instances never deliver one event twice");
    }

    [Fact]
    public async Task PostgreSQL_crashing_in_the_middle_of_the_ladder_neither_loses_nor_repeats_an_alert()
    {
        await using var smtp = new TestSmtpServer();
        await using var receiver = await TestWebhookReceiver.StartAsync();
        using var cluster = await LocalCluster.StartAsync(durable: true);
        var connectionString = cluster.ConnectionString.Replace(";Include Error Detail=true", "", StringComparison.Ordinal) + ";Timeout=3;Command Timeout=10";
        await using var api = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), Settings(smtp));
        await RegisterAsync(api, receiver);
        var id = await EscalatedCaseAsync(api);
        (await smtp.WaitForAsync(Kind(id, "due soon"), 1)).Count.ShouldBe(1);
        await cluster.CrashAsync();
        await Task.Delay(2000);
        await cluster.RestartAsync();
        (await smtp.WaitForAsync(Kind(id, "overdue and not acknowledged"), 1, seconds: 40)).Count.ShouldBe(1);
        await Task.Delay(1500);
        ShouldBeOneOfEach(smtp, id, noResends: false);
        await ShouldBeOneDeliveryEachAsync(receiver, id);
    }
}
