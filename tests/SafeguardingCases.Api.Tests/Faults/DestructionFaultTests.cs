using System.Net;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// DESTRUCTION-TWO-LEADS under faults: with PostgreSQL down an approval is 503 and destroys nothing (the key, the text
/// and the events stay as they were), and lands once when retried; two leads approving at once destroy it once.
/// </summary>
public sealed class DestructionFaultTests(DestructionFaultTests.CrashableShortSchedule api) : IClassFixture<DestructionFaultTests.CrashableShortSchedule>
{
    private async Task<(CaseApi Case, Guid DecisionId)> PendingDestructionAsync(string text)
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        await c.Officer.PostJson($"{c.Url}/notes", new { text }).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        api.Clock.Advance(Duration.FromDays(2));
        var decisionId = (await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due" })
            .ShouldBe(HttpStatusCode.Created)).Json())["decisionId"]!.GetValue<Guid>();
        return (c, decisionId);
    }

    private async Task<long> KeyRowsAsync(Guid caseId)
    {
        await using var db = NpgsqlDataSource.Create(api.ConnectionString);
        await using var command = db.CreateCommand($"select count(*) from {CaseKeyRing.Table} where id = $1");
        command.Parameters.AddWithValue(caseId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task DESTRUCTION_TWO_LEADS_an_approval_while_postgresql_is_down_is_503_destroys_nothing_and_lands_once_when_retried()
    {
        var (c, decisionId) = await PendingDestructionAsync("Met Philomena-Strathcarron at the library");
        var approval = $"{c.Url}/retention-decisions/{decisionId}/approval";
        var before = await c.EventCount();

        await api.Cluster.CrashAsync();
        var down = await c.Lead2.PostJson(approval, new { }, idempotencyKey: $"approve-{c.Id}");
        down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        down.Headers.RetryAfter.ShouldNotBeNull();
        await api.Cluster.RestartAsync();

        (await c.EventCount()).ShouldBe(before, "nothing was appended");
        (await KeyRowsAsync(c.Id)).ShouldBe(1, "the key is still there");
        (await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync()).ShouldContain("Philomena-Strathcarron");

        await c.Lead2.PostJson(approval, new { }, idempotencyKey: $"approve-{c.Id}").ShouldBe(HttpStatusCode.OK);
        (await api.EventsOf(c.Id)).Count(e => e.Data is CaseDataDestroyed).ShouldBe(1);
        (await KeyRowsAsync(c.Id)).ShouldBe(0);
        (await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync()).ShouldNotContain("Philomena-Strathcarron");
    }

    [Fact]
    public async Task DESTRUCTION_TWO_LEADS_two_leads_approving_at_once_destroy_the_record_once()
    {
        var (c, decisionId) = await PendingDestructionAsync("Spoke to Evangelina-Holcroft");
        var approval = $"{c.Url}/retention-decisions/{decisionId}/approval";
        var lead3 = api.ClientAs("lead-3", Roles.SafeguardingLead);
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? c.Lead2 : lead3).PostJson(approval, new { })));

        answers.Count(a => a.StatusCode == HttpStatusCode.OK).ShouldBe(1);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
            (await refused.ShouldBeProblem(HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
        (await api.EventsOf(c.Id)).Count(e => e.Data is CaseDataDestroyed).ShouldBe(1);
        (await KeyRowsAsync(c.Id)).ShouldBe(0);
    }

    /// <summary>The crashable API of <see cref="DatabaseCrashTests"/>, other records reviewed a day after closure.</summary>
    public sealed class CrashableShortSchedule : DatabaseCrashTests.CrashableDatabase
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Retention:Schedule:Other"] = "P1D" };
    }
}
