using System.Net;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Features.Notifications.Inbox;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// The inbox's unacknowledged count (on every console page): only the reader's visible, unacknowledged alerts, read on
/// partial indexes of unacknowledged alerts, and counted up to <see cref="VisibleAlerts.CountUpTo"/>.
/// </summary>
public sealed class InboxCountTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task The_unacknowledged_count_leaves_out_acknowledged_and_hidden_alerts_and_stops_at_a_thousand()
    {
        // A worker's own: three unacknowledged, two acknowledged, and one of a case restricted to someone else.
        var restricted = await CaseApi.Open(api);
        await restricted.Lead1.PutJson($"{restricted.Url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        var now = api.Clock.GetCurrentInstant();
        var alerts = new List<Alert>();
        Alert Make(Guid caseId, string? subject, string? role, bool acknowledged)
        {
            var n = alerts.Count;
            var key = $"{caseId:N}:test:{n}:Overdue";
            return new Alert
            {
                Id = key, NotificationId = Alert.NotificationIdOf(key), CaseId = caseId, Obligation = ObligationType.RiskAssessmentNeeded,
                DueBy = now, Kind = AlertKind.Overdue, RaisedAt = now - Duration.FromSeconds(n), RaisedAtUnixMs = (now - Duration.FromSeconds(n)).ToUnixTimeMilliseconds(),
                RecipientSubject = subject, RecipientRole = role, AcknowledgedAt = acknowledged ? now : null, LadderSettled = true,
            };
        }
        for (var i = 0; i < 3; i++) alerts.Add(Make(Guid.NewGuid(), "worker-x", null, acknowledged: false));
        for (var i = 0; i < 2; i++) alerts.Add(Make(Guid.NewGuid(), "worker-x", null, acknowledged: true));
        alerts.Add(Make(restricted.Id, "worker-x", null, acknowledged: false));
        // The duty officers': more unacknowledged than the count goes to.
        for (var i = 0; i < VisibleAlerts.CountUpTo + 200; i++) alerts.Add(Make(Guid.NewGuid(), null, Roles.SafeguardingOfficer, acknowledged: false));
        await api.Store.BulkInsertAsync(alerts, Weasel.Core.BulkInsertMode.InsertsOnly);

        async Task<System.Text.Json.Nodes.JsonNode> InboxAsync(string subject, string role) =>
            await (await api.ClientAs(subject, role).GetAsync("/api/v1/notifications?limit=5").ShouldBe(HttpStatusCode.OK)).Json();
        (await InboxAsync("worker-x", Roles.Clinician))["unacknowledged"]!.GetValue<long>().ShouldBe(3);
        (await InboxAsync("clinician-9", Roles.Clinician))["unacknowledged"]!.GetValue<long>().ShouldBe(0);
        var duty = await InboxAsync("officer-9", Roles.SafeguardingOfficer);
        duty["unacknowledged"]!.GetValue<long>().ShouldBe(VisibleAlerts.CountUpTo, "counted up to a thousand: at least that many");
        duty["items"]!.AsArray().Count.ShouldBe(5);
        duty["next"].ShouldNotBeNull();
        (await InboxAsync("worker-x", Roles.SafeguardingOfficer))["unacknowledged"]!.GetValue<long>().ShouldBe(VisibleAlerts.CountUpTo);

        // Acknowledging one of the worker's own takes it off the count.
        var first = alerts[0].NotificationId;
        await api.ClientAs("worker-x", Roles.Clinician).PostJson($"/api/v1/notifications/{first}/acknowledgement", new { }).ShouldBe(HttpStatusCode.OK);
        (await InboxAsync("worker-x", Roles.Clinician))["unacknowledged"]!.GetValue<long>().ShouldBe(2);
    }
}
