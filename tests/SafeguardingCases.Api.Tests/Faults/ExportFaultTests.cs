using System.Net;
using System.Security.Cryptography;
using SafeguardingCases.Api.Features.Exports;
using SafeguardingCases.Api.Tests.Exports;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Exports under faults: nothing leaves unrecorded. With PostgreSQL stopped (pg_ctl -m immediate) an export is 503 with
/// Retry-After and records nothing; exports racing each other and notes on one case are each recorded once and verify.
/// </summary>
public sealed class ExportFaultTests(DatabaseCrashTests.CrashableDatabase api) : IClassFixture<DatabaseCrashTests.CrashableDatabase>
{
    [Fact]
    public async Task An_export_while_postgresql_is_down_is_503_records_nothing_and_works_once_it_is_back()
    {
        var (c, _) = await ChronologyExportTests.CaseWithHistory(api, 8);
        var before = await c.EventCount();

        await api.Cluster.CrashAsync();
        var down = await c.Lead1.GetAsync($"{c.Url}/chronology?audience=Court&recipient=Family%20Court&purpose=Hearing");
        down.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        down.Headers.RetryAfter.ShouldNotBeNull();
        (await down.Content.ReadAsStringAsync()).ShouldNotContain("Family Court");
        await api.Cluster.RestartAsync();

        (await c.EventCount()).ShouldBe(before, "an export that did not leave is not recorded");
        var export = await (await c.Lead1.GetAsync($"{c.Url}/chronology?audience=Court&recipient=Family%20Court&purpose=Hearing").ShouldBe(HttpStatusCode.OK)).Json();
        (await api.EventsOf(c.Id)).Count(e => e.Data is ChronologyExported).ShouldBe(1);
        export["entries"]!.AsArray().Count.ShouldBe(8);
    }

    [Fact]
    public async Task Exports_racing_each_other_and_notes_on_one_case_are_each_recorded_once_and_each_verifies()
    {
        var (c, _) = await ChronologyExportTests.CaseWithHistory(api, 8);
        var exports = Enumerable.Range(0, 8).Select(i => c.Officer.GetAsync($"{c.Url}/chronology?audience=Court&recipient=Court%20{i}&purpose=Race")).ToList();
        var notes = Enumerable.Range(0, 8).Select(i => c.Officer.PostJson($"{c.Url}/notes", new { text = $"Racing note {i}" })).ToList();
        await Task.WhenAll(notes);
        var answers = await Task.WhenAll(exports);
        answers.ShouldAllBe(a => a.StatusCode == HttpStatusCode.OK);
        notes.ShouldAllBe(n => n.Result.StatusCode == HttpStatusCode.Created);

        using var key = ECDsa.Create();
        key.ImportFromPem(await ChronologyExportTests.PublicKeyPem(c.Auditor));
        var ids = new List<Guid>();
        foreach (var answer in answers)
        {
            var json = await answer.Content.ReadAsStringAsync();
            ExportProof.Verify(json, key).Valid.ShouldBeTrue();
            ids.Add((await answer.Json())["exportId"]!.GetValue<Guid>());
        }
        var recorded = (await api.EventsOf(c.Id)).Select(e => e.Data).OfType<ChronologyExported>().ToList();
        recorded.Select(r => r.ExportId).ShouldBe(ids, ignoreOrder: true);
        recorded.Select(r => r.Recipient).Distinct().Count().ShouldBe(8);
    }
}
