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

    [Fact]
    public async Task The_count_and_the_ladder_can_read_their_partial_indexes()
    {
        // The tables exist once the inbox has been read; then, with the plain indexes gone (in a transaction rolled
        // back), the planner must still find an index for each query: the partial ones, whose predicates the queries'
        // text has to imply. A reworded query that no longer matches would fall back to reading every alert.
        await api.ClientAs("officer-1", Roles.SafeguardingOfficer).GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK);
        await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        async Task<string> PlanAsync(string sql, params object[] values)
        {
            var n = 0;
            var numbered = System.Text.RegularExpressions.Regex.Replace(sql, @"\?(?!\|)", _ => $"${++n}");
            await using var command = new Npgsql.NpgsqlCommand($"explain {numbered}", connection, transaction);
            foreach (var value in values) command.Parameters.AddWithValue(value);
            var lines = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
            return string.Join("\n", lines);
        }
        await using (var setup = new Npgsql.NpgsqlCommand(
            // Analysed first, as autovacuum may have done by then: the plan must not depend on whether it has.
            "analyze public.mt_doc_alert; set local enable_seqscan = off; drop index mt_doc_alert_idx_recipient_role; drop index mt_doc_alert_idx_recipient_subject; " +
            "drop index mt_doc_alert_idx_raised_at_unix_ms", connection, transaction))
            await setup.ExecuteNonQueryAsync();

        var countSql = VisibleAlerts.CountUnacknowledged("public.mt_doc_alert");
        object[] countParameters = ["officer-1", "officer-1", new[] { Roles.SafeguardingOfficer }, "officer-1"];
        var count = await PlanAsync(countSql, countParameters);
        count.ShouldContain("mt_doc_alert_unacknowledged_subject", customMessage: count);
        count.ShouldNotContain("Seq Scan on mt_doc_alert", customMessage: count);
        // Both partial indexes have the same predicate, so on a small table the planner may serve the role count from
        // the subject's one, with a filter (as it did in CI once the table was analysed): without it, the role's own.
        await using (var drop = new Npgsql.NpgsqlCommand("drop index mt_doc_alert_unacknowledged_subject", connection, transaction))
            await drop.ExecuteNonQueryAsync();
        var roleCount = await PlanAsync(countSql, countParameters);
        roleCount.ShouldContain("mt_doc_alert_unacknowledged_role", customMessage: roleCount);
        var ladder = await PlanAsync($"select d.id from public.mt_doc_alert as d where {Alert.LadderWaiting} and d.raised_at_unix_ms <= $1 order by d.raised_at_unix_ms limit 500", 0L);
        ladder.ShouldContain("mt_doc_alert_ladder_waiting");
        await transaction.RollbackAsync();
    }
}
