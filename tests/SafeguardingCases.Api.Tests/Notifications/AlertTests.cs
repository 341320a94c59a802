using System.Net;
using System.Text.Json.Nodes;
using MimeKit;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// Alerts from deadlines against a real SMTP server: an escalation's transparency notice owed within 24 hours (the
/// policy's window), with the sweep every 100 ms and the test's clock moved past each threshold.
/// </summary>
public sealed class AlertTests(AlertTests.AlertingApi api) : IClassFixture<AlertTests.AlertingApi>
{
    private const string Officer = "officer-1";

    /// <summary>A case allocated to officer-1 with a non-emergency escalation made now: its notice is due in 24 hours.</summary>
    private async Task<(CaseApi Case, Guid Escalation, Instant DueBy)> EscalatedAsync()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        await c.Officer.PutJson($"{c.Url}/allocation", new { subject = Officer, name = "Officer One", email = "officer-1@example.org" }).ShouldBe(HttpStatusCode.OK);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await c.SafetyPlan("NotPossible");
        var e = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        var view = await c.View();
        var dueBy = view["outstandingObligations"]!.AsArray().Single(o => o!["type"]!.GetValue<string>() == "TransparencyNoticeDue")!["dueBy"]!.GetValue<string>();
        return (c, e, NodaTime.Text.InstantPattern.ExtendedIso.Parse(dueBy).Value);
    }

    private static Func<MimeMessage, bool> About(Guid caseId, string kind) =>
        m => m.Subject is { } s && s.Contains(caseId.ToString(), StringComparison.Ordinal) && s.Contains("Transparency notice due (", StringComparison.Ordinal)
             && s.Contains($"{kind}) on case", StringComparison.Ordinal);

    private static IEnumerable<MimeMessage> AllAbout(TestSmtpServer smtp, Guid caseId) =>
        smtp.Messages.Where(m => m.Subject is { } s && s.Contains(caseId.ToString(), StringComparison.Ordinal) && s.Contains("Transparency notice due (", StringComparison.Ordinal));

    [Fact]
    public void An_email_names_every_obligation_in_the_consoles_words()
    {
        foreach (var obligation in Enum.GetValues<Domain.Policy.ObligationType>())
            OutboxEmail.Named(obligation).ShouldNotBe(obligation.ToString(), "an obligation with no words of its own in the console and in emails");
        OutboxEmail.Named(Domain.Policy.ObligationType.NoEscalationDecisionDue).ShouldBe("No-escalation decision due");
    }

    [Fact]
    public async Task An_unsent_notice_alerts_the_worker_when_due_soon_and_overdue_then_the_leads_once_and_never_says_anything_about_a_person()
    {
        var (c, _, dueBy) = await EscalatedAsync();

        api.Clock.Reset(dueBy - Duration.FromMinutes(90));
        var soon = await api.Smtp.WaitForAsync(About(c.Id, "due soon"), 1);
        soon.Single().To.Mailboxes.Single().Address.ShouldBe("officer-1@example.org");
        // The deadline in UK time, as the staff keep it, and as the instant itself.
        var uk = dueBy.InZone(DateTimeZoneProviders.Tzdb["Europe/London"]);
        soon.Single().TextBody.ShouldNotBeNull().ShouldContain(
            $"Due by: {uk.ToString("d MMM yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture)} {uk.GetZoneInterval().Name} ({NodaTime.Text.InstantPattern.ExtendedIso.Format(dueBy)})");

        api.Clock.Reset(dueBy + Duration.FromMinutes(1));
        (await api.Smtp.WaitForAsync(About(c.Id, "overdue"), 1)).Single().To.Mailboxes.Single().Address.ShouldBe("officer-1@example.org");

        api.Clock.Reset(dueBy + Duration.FromMinutes(62));
        (await api.Smtp.WaitForAsync(About(c.Id, "not acknowledged"), 1)).Single().To.Mailboxes.Single().Address.ShouldBe("leads@example.org");

        // A few more sweeps: nothing is raised twice.
        api.Clock.Reset(dueBy + Duration.FromHours(3));
        await Task.Delay(600);
        var all = AllAbout(api.Smtp, c.Id).ToList();
        all.Count.ShouldBe(3, string.Join(" | ", all.Select(m => m.Subject)));
        all.Select(m => m.MessageId).Distinct().Count().ShouldBe(3);
        foreach (var message in all)
        {
            var text = message.Subject + "\n" + message.TextBody;
            foreach (var recorded in new[] { "post-123", "handle-9", "A worrying post", "What the user said", "post-77", "Clinical rationale", "Tried with the user", "Officer One" })
                text.ShouldNotContain(recorded);
            text.ShouldContain($"/cases/{c.Id}");
        }

        // PRIVACY-AT-REST: the outbox keeps the worker's address sealed, as the case does, sent or not.
        var dump = await PgDump.DumpAsync(api.ConnectionString);
        dump.ShouldContain($"{soon.Single().MessageId}", Case.Sensitive, "the dump holds the outbox");
        dump.ShouldNotContain("officer-1@example.org", Case.Insensitive);

        // The inbox: the worker has the due-soon and overdue alerts, the leads the ladder one.
        var worker = api.ClientAs(Officer, Roles.SafeguardingOfficer);
        var inbox = await (await worker.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK)).Json();
        var mine = inbox["items"]!.AsArray().Where(i => i!["caseId"]!.GetValue<Guid>() == c.Id && i["obligation"]!.GetValue<string>() == "TransparencyNoticeDue").ToList();
        mine.Select(i => i!["kind"]!.GetValue<string>()).Order().ShouldBe(["DueSoon", "Overdue"]);
        var leads = await (await api.ClientAs("lead-9", Roles.SafeguardingLead).GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK)).Json();
        leads["items"]!.AsArray().Count(i => i!["caseId"]!.GetValue<Guid>() == c.Id && i["kind"]!.GetValue<string>() == "Escalated"
            && i["obligation"]!.GetValue<string>() == "TransparencyNoticeDue").ShouldBe(1);
        (await (await api.ClientAs("officer-2", Roles.SafeguardingOfficer).GetAsync("/api/v1/notifications")).Json())["items"]!.AsArray()
            .ShouldNotContain(i => i!["caseId"]!.GetValue<Guid>() == c.Id, "an alert to the allocated worker is theirs alone");
    }

    [Fact]
    public async Task An_alert_says_whether_its_obligation_is_still_owed_once_the_work_is_done_and_stays_to_be_acknowledged()
    {
        var (done, escalation, dueBy) = await EscalatedAsync();
        var (waiting, _, waitingDueBy) = await EscalatedAsync();
        api.Clock.Reset(Instant.Max(dueBy, waitingDueBy) - Duration.FromMinutes(90));
        await api.Smtp.WaitForAsync(About(done.Id, "due soon"), 1);
        await api.Smtp.WaitForAsync(About(waiting.Id, "due soon"), 1);
        var worker = api.ClientAs(Officer, Roles.SafeguardingOfficer);
        async Task<JsonNode> DueSoon(Guid caseId) => (await (await worker.GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json())["items"]!
            .AsArray().Single(i => i!["caseId"]!.GetValue<Guid>() == caseId && i["kind"]!.GetValue<string>() == "DueSoon"
                && i["obligation"]!.GetValue<string>() == "TransparencyNoticeDue")!;
        (await DueSoon(done.Id))["stillOwed"]!.GetValue<bool>().ShouldBeTrue();

        // The notice is sent: the alert about it reads as no longer owed, and is still there to be acknowledged.
        await done.SendNotice(escalation).ShouldBe(HttpStatusCode.Created);
        var met = await DueSoon(done.Id);
        met["stillOwed"]!.GetValue<bool>().ShouldBeFalse();
        met["acknowledgedAt"].ShouldBeNull();
        (await DueSoon(waiting.Id))["stillOwed"]!.GetValue<bool>().ShouldBeTrue("another case's notice is still owed");
        var acked = await (await worker.PostJson($"/api/v1/notifications/{met["notificationId"]!.GetValue<Guid>()}/acknowledgement", new { })
            .ShouldBe(HttpStatusCode.OK)).Json();
        acked["stillOwed"]!.GetValue<bool>().ShouldBeFalse();
        acked["acknowledgedAt"].ShouldNotBeNull();
    }

    [Fact]
    public async Task Sending_the_notice_before_it_is_due_soon_raises_nothing_and_acknowledging_an_overdue_alert_stops_the_ladder()
    {
        var (sent, escalation, dueBy) = await EscalatedAsync();
        await sent.SendNotice(escalation).ShouldBe(HttpStatusCode.Created);
        var (acknowledged, _, ackDueBy) = await EscalatedAsync();

        api.Clock.Reset(ackDueBy + Duration.FromMinutes(1));
        await api.Smtp.WaitForAsync(About(acknowledged.Id, "overdue"), 1);
        var worker = api.ClientAs(Officer, Roles.SafeguardingOfficer);
        var inbox = await (await worker.GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var overdue = inbox["items"]!.AsArray().Single(i => i!["caseId"]!.GetValue<Guid>() == acknowledged.Id && i["kind"]!.GetValue<string>() == "Overdue"
            && i["obligation"]!.GetValue<string>() == "TransparencyNoticeDue")!;
        var id = overdue["notificationId"]!.GetValue<Guid>();
        (await (await api.ClientAs("officer-2", Roles.SafeguardingOfficer).PostJson($"/api/v1/notifications/{id}/acknowledgement", new { }))
            .ShouldBeProblem(HttpStatusCode.NotFound)).ShouldNotBeNull();
        var acked = await (await worker.PostJson($"/api/v1/notifications/{id}/acknowledgement", new { }).ShouldBe(HttpStatusCode.OK)).Json();
        acked["acknowledgedAt"].ShouldNotBeNull();
        var after = await (await worker.GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        after["items"]!.AsArray().Single(i => i!["notificationId"]!.GetValue<Guid>() == id)!["acknowledgedAt"].ShouldNotBeNull();
        after["unacknowledged"]!.GetValue<long>().ShouldBe(after["items"]!.AsArray().Count(i => i!["acknowledgedAt"] is null), "the count is of the unacknowledged");

        api.Clock.Reset(ackDueBy + Duration.FromHours(3));
        await Task.Delay(800);
        AllAbout(api.Smtp, acknowledged.Id).Select(m => m.Subject ?? "").ShouldNotContain(s => s.Contains("not acknowledged", StringComparison.Ordinal));
        AllAbout(api.Smtp, sent.Id).ShouldBeEmpty("the notice was sent before anything was due");
        dueBy.ShouldBeLessThan(ackDueBy + Duration.FromHours(3));
    }

    [Fact]
    public async Task A_restricted_cases_alerts_reach_only_the_staff_it_names_and_never_a_shared_mailbox_and_alerts_are_counted()
    {
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        long raised = 0, sent = 0;
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "SafeguardingCases" && instrument.Name is "safeguarding.alerts.raised" or "safeguarding.alerts.sent")
                listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "safeguarding.alerts.raised") Interlocked.Add(ref raised, value);
            else Interlocked.Add(ref sent, value);
        });
        meters.Start();

        // Unallocated, so its alerts go to the duty officers; restricted, so only to the officer it names.
        var c = await CaseApi.Open(api, ageYears: 15);
        await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        await c.Disclosure(Concern("Physical"));
        api.Clock.Advance(Duration.FromDays(2));
        var named = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var seen = false;
        for (var i = 0; i < 100 && !seen; i++)
        {
            await Task.Delay(100);
            var inbox = await (await named.GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
            seen = inbox["items"]!.AsArray().Any(n => n!["caseId"]!.GetValue<Guid>() == c.Id);
        }
        seen.ShouldBeTrue("the named officer has the restricted case's alert");
        var other = await (await api.ClientAs("moderator-7", Roles.SafeguardingOfficer).GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        other["items"]!.AsArray().ShouldNotContain(n => n!["caseId"]!.GetValue<Guid>() == c.Id, "an officer the restriction does not name never sees it");
        // A shared mailbox is read by staff the restriction may not name: nothing about the case goes to the duty address.
        await Task.Delay(500);
        api.Smtp.Messages.ShouldNotContain(m => m.Subject != null && m.Subject.Contains(c.Id.ToString(), StringComparison.Ordinal));

        meters.RecordObservableInstruments();
        Interlocked.Read(ref raised).ShouldBeGreaterThan(0);
        // An unrestricted, unallocated case's alerts are emailed to the duty address, and counted as sent.
        var open = await CaseApi.Open(api, ageYears: 15);
        await open.Disclosure(Concern("Physical"));
        api.Clock.Advance(Duration.FromDays(2));
        var duty = await api.Smtp.WaitForAsync(m => m.Subject is { } s && s.Contains(open.Id.ToString(), StringComparison.Ordinal), 1);
        duty.ShouldNotBeEmpty();
        duty[0].To.Mailboxes.Single().Address.ShouldBe("duty@example.org");
        // Counted once the server has answered the send, a moment after the message reached it.
        for (var i = 0; i < 100 && Interlocked.Read(ref sent) == 0; i++) await Task.Delay(50);
        Interlocked.Read(ref sent).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task NEED_TO_KNOW_an_alert_raised_before_its_case_was_restricted_leaves_the_inbox_of_staff_the_restriction_does_not_name()
    {
        // Unallocated: its alerts go to every duty officer's inbox.
        var c = await CaseApi.Open(api, ageYears: 15);
        await c.Disclosure(Concern("Physical"));
        var unnamed = api.ClientAs("officer-7", Roles.SafeguardingOfficer);
        var named = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        async Task<JsonNode?> ItemAsync(HttpClient reader) =>
            (await (await reader.GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
                .FirstOrDefault(i => i!["caseId"]!.GetValue<Guid>() == c.Id);
        JsonNode? item = null;
        for (var i = 0; i < 100 && item is null; i++)
        {
            await Task.Delay(100);
            item = await ItemAsync(unnamed);
        }
        item.ShouldNotBeNull("the duty officers have the alert");
        var id = item["notificationId"]!.GetValue<Guid>();
        var before = (await (await unnamed.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK)).Json())["unacknowledged"]!.GetValue<long>();

        await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        (await ItemAsync(unnamed)).ShouldBeNull("an officer the restriction does not name no longer sees anything of the case");
        var after = (await (await unnamed.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK)).Json())["unacknowledged"]!.GetValue<long>();
        after.ShouldBeLessThan(before);
        await (await unnamed.PostJson($"/api/v1/notifications/{id}/acknowledgement", new { })).ShouldBeProblem(HttpStatusCode.NotFound);
        (await ItemAsync(named)).ShouldNotBeNull("the officer it names still has it");
        await named.PostJson($"/api/v1/notifications/{id}/acknowledgement", new { }).ShouldBe(HttpStatusCode.OK);

        // Lifted: everyone it was addressed to sees it again.
        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "").ShouldBe(HttpStatusCode.OK);
        (await ItemAsync(unnamed)).ShouldNotBeNull();
    }

    [Fact]
    public async Task A_cases_open_alerts_follow_its_allocation_and_an_acknowledged_one_stays_with_who_dealt_with_it()
    {
        var (c, _, dueBy) = await EscalatedAsync();
        api.Clock.Reset(dueBy + Duration.FromMinutes(1));
        await api.Smtp.WaitForAsync(About(c.Id, "overdue"), 1);

        async Task<List<System.Text.Json.Nodes.JsonNode>> OverdueFor(string subject, string role = Roles.SafeguardingOfficer)
        {
            var inbox = await (await api.ClientAs(subject, role).GetAsync("/api/v1/notifications?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
            return [.. inbox["items"]!.AsArray().Where(i => i!["caseId"]!.GetValue<Guid>() == c.Id && i["kind"]!.GetValue<string>() == "Overdue"
                && i["obligation"]!.GetValue<string>() == "TransparencyNoticeDue").Select(i => i!)];
        }
        async Task<List<System.Text.Json.Nodes.JsonNode>> WaitFor(string subject)
        {
            var found = await OverdueFor(subject);
            for (var i = 0; i < 100 && found.Count == 0; i++)
            {
                await Task.Delay(100);
                found = await OverdueFor(subject);
            }
            return found;
        }
        (await OverdueFor(Officer)).Count.ShouldBe(1);

        // Reallocated (the worker is away): the overdue alert moves to the new worker's inbox and leaves the old one's.
        await c.Lead1.PutJson($"{c.Url}/allocation", new { subject = "officer-2", name = "Officer Two", email = "officer-2@example.org" }).ShouldBe(HttpStatusCode.OK);
        (await WaitFor("officer-2")).Count.ShouldBe(1);
        (await OverdueFor(Officer)).ShouldBeEmpty("the case is no longer theirs");
        (await OverdueFor("officer-9")).ShouldBeEmpty("the case is allocated, so not the duty officers'");

        // Unallocated: the duty officers have it; acknowledged by one of them, it stays theirs when the case is allocated again.
        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/allocation", "").ShouldBe(HttpStatusCode.OK);
        var duty = (await WaitFor("officer-9")).Single();
        await api.ClientAs("officer-9", Roles.SafeguardingOfficer).PostJson($"/api/v1/notifications/{duty["notificationId"]!.GetValue<Guid>()}/acknowledgement", new { })
            .ShouldBe(HttpStatusCode.OK);
        // (Allocated to a clinician this time: any officer sees the duty officers' alerts.)
        await c.Lead1.PutJson($"{c.Url}/allocation", new { subject = "clinician-3", name = "Clinician Three", email = "clinician-3@example.org" }).ShouldBe(HttpStatusCode.OK);
        await Task.Delay(800);
        (await OverdueFor("clinician-3", Roles.Clinician)).ShouldBeEmpty("an acknowledged alert stays with who dealt with it");
        (await OverdueFor("officer-9")).Single()["acknowledgedAt"].ShouldNotBeNull();

        // Nothing is emailed again: the overdue email went to the worker it was raised for, once.
        AllAbout(api.Smtp, c.Id).Where(m => m.Subject!.Contains(" (overdue) on case", StringComparison.Ordinal)).Select(m => m.To.Mailboxes.Single().Address)
            .ShouldBe(["officer-1@example.org"]);
    }

    [Fact]
    public async Task An_overdue_alert_stored_before_the_ladder_fields_existed_still_goes_up_the_ladder()
    {
        var (c, _, dueBy) = await EscalatedAsync();
        api.Clock.Reset(dueBy + Duration.FromMinutes(1));
        await api.Smtp.WaitForAsync(About(c.Id, "overdue"), 1);
        // As an earlier version wrote it: no ladderSettled, no ladderRetryAtUnixMs.
        await using (var connection = new Npgsql.NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var strip = new Npgsql.NpgsqlCommand(
                "update mt_doc_alert set data = data - 'ladderSettled' - 'ladderRetryAtUnixMs' where data ->> 'caseId' = $1 and data ->> 'kind' = 'Overdue' and data ->> 'obligation' = 'TransparencyNoticeDue'", connection);
            strip.Parameters.AddWithValue(c.Id.ToString());
            (await strip.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        api.Clock.Reset(dueBy + Duration.FromMinutes(62));
        (await api.Smtp.WaitForAsync(About(c.Id, "not acknowledged"), 1)).Single().To.Mailboxes.Single().Address.ShouldBe("leads@example.org");
    }

    [Fact]
    public async Task An_email_whose_cases_data_was_destroyed_before_it_was_sent_is_dropped_never_sent()
    {
        // An email waiting in the outbox whose address was sealed under a key that no longer exists.
        var caseId = Guid.NewGuid();
        var sealedTo = $"{SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing.SealedPrefixOf(caseId)}{Convert.ToBase64String(new byte[40])}";
        var id = $"{caseId:N}:test:email";
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(new OutboxEmail
            {
                Id = id, MessageId = $"{Guid.NewGuid():N}@test", AlertId = "test", SealedTo = sealedTo, Subject = $"Safeguarding: about {caseId}",
                Body = "x", CreatedAtUnixMs = api.Clock.GetCurrentInstant().ToUnixTimeMilliseconds(),
                NextAttemptAtUnixMs = api.Clock.GetCurrentInstant().ToUnixTimeMilliseconds(),
            });
            await session.SaveChangesAsync();
        }
        OutboxEmail? stored = null;
        for (var i = 0; i < 100 && stored?.LastError is null; i++)
        {
            await Task.Delay(100);
            await using var query = api.Store.QuerySession();
            stored = await query.LoadAsync<OutboxEmail>(id);
        }
        stored!.LastError.ShouldBe("CaseDataDestroyed");
        stored.NextAttemptAtUnixMs.ShouldBeNull("never tried again");
        stored.SentAtUnixMs.ShouldBeNull();
        api.Smtp.Messages.ShouldNotContain(m => m.Subject != null && m.Subject.Contains(caseId.ToString(), StringComparison.Ordinal));
    }

    public sealed class AlertingApi : ApiFactory
    {
        public TestSmtpServer Smtp { get; } = new();

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Notifications:Smtp:Host"] = "127.0.0.1",
            ["Notifications:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notifications:Smtp:From"] = "alerts@example.org",
            ["Notifications:DutyAddress"] = "duty@example.org",
            ["Notifications:EscalateTo"] = "leads@example.org",
            ["Notifications:SweepInterval"] = "PT0.1S",
        };

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Smtp.DisposeAsync();
        }
    }
}
