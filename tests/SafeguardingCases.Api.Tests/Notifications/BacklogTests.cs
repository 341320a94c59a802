using System.Net;
using System.Text.Json.Nodes;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// Alerts and webhooks with a backlog larger than one read (two cases or events a read here, 500 in production): cases
/// already alerted but still owing something must not crowd out the ones still to alert (a case is looked at again
/// when it changes or its next threshold comes), and events the webhook feed has queued already must not keep it from
/// moving on.
/// </summary>
public sealed class BacklogTests(BacklogTests.SmallReadsApi api) : IClassFixture<BacklogTests.SmallReadsApi>
{
    [Fact]
    public async Task Cases_alerted_and_still_owing_never_keep_another_cases_deadline_from_alerting()
    {
        // A backlog: three cases owing a risk assessment since their disclosures, more than one read's worth.
        var backlog = await OwingAsync(3);
        foreach (var c in backlog) await WaitForAlertAsync(c.Id, ObligationType.RiskAssessmentNeeded, AlertKind.Overdue);

        // Behind them (its deadline is later than all of theirs, so last in urgency order), an escalation's notice.
        var late = await Open(api, ageYears: 15);
        var d = await late.Disclosure(Concern("Physical"));
        var a = await late.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await late.SafetyPlan("NotPossible");
        await late.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        var view = await late.View();
        var dueBy = NodaTime.Text.InstantPattern.ExtendedIso.Parse(view["outstandingObligations"]!.AsArray()
            .Single(o => o!["type"]!.GetValue<string>() == "TransparencyNoticeDue")!["dueBy"]!.GetValue<string>()).Value;

        api.Clock.Reset(dueBy - Duration.FromHours(1));
        await WaitForAlertAsync(late.Id, ObligationType.TransparencyNoticeDue, AlertKind.DueSoon);
        // Looked at already, with nothing changed since: read again when its next threshold passes.
        api.Clock.Reset(dueBy + Duration.FromMinutes(1));
        await WaitForAlertAsync(late.Id, ObligationType.TransparencyNoticeDue, AlertKind.Overdue);

        // A backlog case that changes is looked at again: a new disclosure makes a new assessment due at once.
        var changed = backlog[0];
        var before = await AlertsOf(changed.Id);
        await changed.Disclosure(Concern("Neglect"));
        for (var i = 0; i < 150 && (await AlertsOf(changed.Id)).Count == before.Count; i++) await Task.Delay(100);
        var after = await AlertsOf(changed.Id);
        after.Count.ShouldBe(before.Count + 1, "the changed case's new deadline alerted");
        after.ExceptBy(before.Select(x => x.Id), x => x.Id).Single().Kind.ShouldBe(AlertKind.Overdue);

        // Every alert raised once: one overdue alert for each backlog case's first deadline.
        foreach (var c in backlog.Skip(1))
            (await AlertsOf(c.Id)).Count(x => x.Kind == AlertKind.Overdue).ShouldBe(1);
    }

    [Fact]
    public async Task Cases_that_cannot_be_read_never_keep_another_cases_deadline_from_alerting()
    {
        // The most urgent cases of all, whose keys no key-encryption key here unwraps (a rotation gone wrong).
        var broken = (await OwingAsync(2)).Select(c => c.Id).ToList();
        var wrongKek = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await using (var db = Npgsql.NpgsqlDataSource.Create(api.ConnectionString))
        {
            var wrapped = CaseKeyRing.Wrap(wrongKek, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            await using var batch = db.CreateBatch();
            batch.BatchCommands.Add(new("update mt_doc_casekey set data = jsonb_set(data, '{wrapped}', to_jsonb($1::text)) where id = any($2)")
            {
                Parameters = { new() { Value = wrapped }, new() { Value = broken.ToArray() } },
            });
            // Looked at and alerted already, maybe, before their keys broke: as if never.
            batch.BatchCommands.Add(new("delete from mt_doc_deadlinelook where id = any($1)") { Parameters = { new() { Value = broken.ToArray() } } });
            batch.BatchCommands.Add(new("delete from mt_doc_alert where data ->> 'caseId' = any($1)")
            {
                Parameters = { new() { Value = broken.Select(b => b.ToString()).ToArray() } },
            });
            await batch.ExecuteNonQueryAsync();
        }
        var ring = api.Services.GetRequiredService<CaseKeyRing>();
        foreach (var id in broken) ring.Forget(id);

        // Overdue alerts of theirs raised before their keys broke, waiting longest for the ladder.
        var longAgo = api.Clock.GetCurrentInstant() - Duration.FromHours(3);
        await using (var session = api.Store.LightweightSession())
        {
            foreach (var id in broken)
            {
                var key = $"{id:N}:RiskAssessmentNeeded:service-user:{longAgo.ToUnixTimeMilliseconds()}:Overdue";
                session.Store(new Alert
                {
                    Id = key, NotificationId = Alert.NotificationIdOf(key), CaseId = id, Obligation = ObligationType.RiskAssessmentNeeded,
                    DueBy = longAgo, Kind = AlertKind.Overdue, RaisedAt = longAgo, RaisedAtUnixMs = longAgo.ToUnixTimeMilliseconds(),
                    RecipientRole = Roles.SafeguardingOfficer,
                });
            }
            await session.SaveChangesAsync();
        }

        // Behind them: a case whose deadline must still alert, and go up the ladder when nobody acknowledges it.
        var good = (await OwingAsync(1)).Single();
        await WaitForAlertAsync(good.Id, ObligationType.RiskAssessmentNeeded, AlertKind.Overdue);
        api.Clock.Advance(Duration.FromMinutes(61));
        await WaitForAlertAsync(good.Id, ObligationType.RiskAssessmentNeeded, AlertKind.Escalated);
        foreach (var id in broken)
            (await AlertsOf(id)).ShouldAllBe(a => a.Kind == AlertKind.Overdue && !a.LadderSettled, "nothing new can be said about a case that cannot be read");
    }

    [Fact]
    public async Task The_webhook_feed_moves_on_however_many_of_its_last_events_were_queued_already()
    {
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var lead = api.ClientAs("lead-1", Roles.SafeguardingLead);
        var secret = (await (await lead.PostJson("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["secret"]!.GetValue<string>();
        receiver.Secrets.Add(secret);

        // More closures than one read, one after another: the feed queues two, then must go on past them.
        var closed = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var c = await Open(api);
            await c.Close().ShouldBe(HttpStatusCode.OK);
            closed.Add(c.Id);
        }
        var deliveries = await receiver.WaitForAsync(r => closed.Contains(CaseOf(r)), closed.Count, seconds: 20);
        deliveries.Select(CaseOf).Order().ShouldBe(closed.Order());
        await Task.Delay(500);
        receiver.Deliveries.Count(r => closed.Contains(CaseOf(r))).ShouldBe(closed.Count, "each queued once");
    }

    private static Guid CaseOf(TestWebhookReceiver.Received r) => JsonNode.Parse(r.Body)!["data"]!["caseId"]!.GetValue<Guid>();

    /// <summary>Cases owing a risk assessment at once (a disclosure and no assessment), opened one after another.</summary>
    private async Task<List<CaseApi>> OwingAsync(int count)
    {
        var cases = new List<CaseApi>();
        for (var i = 0; i < count; i++)
        {
            var c = await Open(api, ageYears: 15);
            await c.Disclosure(Concern("Physical"));
            cases.Add(c);
        }
        return cases;
    }

    private async Task<IReadOnlyList<Alert>> AlertsOf(Guid caseId)
    {
        await using var session = api.Store.QuerySession();
        return await session.Query<Alert>().Where(x => x.CaseId == caseId).ToListAsync();
    }

    private async Task WaitForAlertAsync(Guid caseId, ObligationType obligation, AlertKind kind)
    {
        for (var i = 0; i < 150; i++)
        {
            if ((await AlertsOf(caseId)).Any(x => x.Obligation == obligation && x.Kind == kind)) return;
            await Task.Delay(100);
        }
        throw new ShouldAssertException($"no {kind} alert for {obligation} on case {caseId} after 15 s");
    }

    public sealed class SmallReadsApi : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Notifications:SweepInterval"] = "PT0.1S",
        };

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices((context, services) =>
            {
                services.RemoveAll<NotificationOptions>();
                services.AddSingleton(NotificationOptions.Bind(context.Configuration) with { ReadSize = 2 });
            });
        }
    }
}
