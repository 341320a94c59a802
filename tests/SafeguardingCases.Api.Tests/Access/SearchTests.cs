using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Access;

/// <summary>
/// POST /cases/search: is this young person already known? Every reference is sealed under its case's key
/// (PRIVACY-AT-REST), so the search goes through a keyed blind index; what PostgreSQL holds is neither the reference
/// nor anything a guessed reference can be checked against without the key.
/// </summary>
public sealed class SearchTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private HttpClient Officer => api.ClientAs("officer-1", Roles.SafeguardingOfficer);

    private async Task<Guid> OpenAsync(string handle, string sourceReference, string channel = "Boards")
    {
        var opened = await (await Officer.PostJson("/api/v1/cases", new
        {
            channel, sourceReference, serviceUser = new { reference = handle, ageYears = 15 }, summary = "Worried about home",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        return opened["id"]!.GetValue<Guid>();
    }

    private static async Task<List<Guid>> FoundAsync(HttpClient client, string reference, int? limit = null, string? cursor = null)
    {
        var page = await (await client.PostJson("/api/v1/cases/search", new { reference, limit, cursor }).ShouldBe(HttpStatusCode.OK)).Json();
        return [.. page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>())];
    }

    private static string Unique(string what) => $"{what}-{Guid.NewGuid():N}"[..(what.Length + 13)];

    [Fact]
    public async Task A_case_is_found_by_its_service_users_reference_its_source_reference_or_any_disclosures_however_the_reference_is_typed()
    {
        var (handle, post, chat) = (Unique("BlueFox"), Unique("post"), Unique("chat"));
        var first = await OpenAsync(handle, post);
        var other = await OpenAsync(Unique("someone"), Unique("post"));
        var c = CaseApi.For(api, first);
        await Officer.PostJson($"{c.Url}/disclosures", new
        {
            disclosedAt = CaseApi.Iso(api.Clock.GetCurrentInstant() - NodaTime.Duration.FromMinutes(5)), channel = "Chat", sourceReference = chat,
            summary = "Said more on chat", concerns = new[] { CaseApi.Concern("Physical") },
        }).ShouldBe(HttpStatusCode.Created);

        (await FoundAsync(Officer, handle)).ShouldBe([first]);
        (await FoundAsync(Officer, $"  {handle.ToUpperInvariant()} ")).ShouldBe([first], "capitals and surrounding spaces do not matter");
        (await FoundAsync(Officer, post)).ShouldBe([first]);
        (await FoundAsync(Officer, chat)).ShouldBe([first], "the disclosure came through that chat session");
        (await FoundAsync(Officer, handle[..^1])).ShouldBeEmpty("a reference is matched whole, not by its beginning");
        (await FoundAsync(Officer, Unique("nobody"))).ShouldBeEmpty();
        (await FoundAsync(api.ClientAs("clinician-1", Roles.Clinician), handle)).ShouldBe([first]);
        (await FoundAsync(api.ClientAs("lead-1", Roles.SafeguardingLead), handle)).ShouldBe([first]);
        (await FoundAsync(Officer, handle)).ShouldNotContain(other);

        // The same young person's second case: both, most recently changed first, a page at a time.
        var second = await OpenAsync(handle, Unique("text"), "Text");
        (await FoundAsync(Officer, handle)).ShouldBe([second, first]);
        var page = await (await Officer.PostJson("/api/v1/cases/search", new { reference = handle, limit = 1 }).ShouldBe(HttpStatusCode.OK)).Json();
        page["items"]!.AsArray().Single()!["id"]!.GetValue<Guid>().ShouldBe(second);
        var next = page["next"]!.GetValue<string>();
        (await FoundAsync(Officer, handle, 1, next)).ShouldBe([first]);

        // Each case shown is in its access log.
        var log = await (await api.ClientAs("auditor-1", Roles.Auditor).GetAsync($"/api/v1/audit/access?caseId={first}").ShouldBe(HttpStatusCode.OK)).Json();
        log["items"]!.AsArray().ShouldContain(e => e!["subject"]!.GetValue<string>() == "officer-1"
            && e["route"]!.GetValue<string>().EndsWith("/cases/search", StringComparison.Ordinal), log.ToJsonString());
    }

    [Fact]
    public async Task NEED_TO_KNOW_a_restricted_case_is_found_only_by_the_staff_it_names()
    {
        var handle = Unique("restricted");
        var id = await OpenAsync(handle, Unique("post"));
        await api.ClientAs("lead-1", Roles.SafeguardingLead).PutJson($"/api/v1/cases/{id}/restriction",
            new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" }).ShouldBe(HttpStatusCode.OK);

        (await FoundAsync(Officer, handle)).ShouldBe([id]);
        (await FoundAsync(api.ClientAs("moderator-7", [.. Roles.All]), handle)).ShouldBeEmpty("not even its existence shows to staff it does not name");
    }

    [Fact]
    public async Task PRIVACY_AT_REST_the_database_holds_neither_the_reference_nor_its_unkeyed_hash()
    {
        var handle = Unique("Quillamberwick");
        var id = await OpenAsync(handle, Unique("post"));
        await using var db = NpgsqlDataSource.Create(api.ConnectionString);
        await using var row = db.CreateCommand($"select data::text from {MartenSetup.CaseSummaryTable} where id = $1");
        row.Parameters.AddWithValue(id);
        var stored = (string)(await row.ExecuteScalarAsync())!;
        stored.ShouldNotContain(handle, Case.Insensitive);
        stored.ShouldContain("referenceIndex");
        var unkeyed = SHA256.HashData(Encoding.UTF8.GetBytes(handle.ToLowerInvariant()));
        foreach (var guess in new[] { Convert.ToBase64String(unkeyed)[..20], Convert.ToHexString(unkeyed)[..20], Convert.ToHexStringLower(unkeyed)[..20] })
            stored.ShouldNotContain(guess);

        // The index key is stored wrapped, like a case's data key.
        await using var key = db.CreateCommand($"select data ->> 'wrapped' from {Api.Infrastructure.Privacy.CaseKeyRing.Table} where id = $1");
        key.Parameters.AddWithValue(Api.Infrastructure.Privacy.CaseKeyRing.ReferenceIndexKeyId);
        ((string)(await key.ExecuteScalarAsync())!).Length.ShouldBe(80, "base64 of nonce, wrapped key and tag");
    }

    [Fact]
    public async Task Rows_written_before_the_index_existed_are_found_once_the_backfill_has_run()
    {
        var handle = Unique("olderCase");
        var id = await OpenAsync(handle, Unique("post"));
        await using (var db = NpgsqlDataSource.Create(api.ConnectionString))
        await using (var strip = db.CreateCommand($"update {MartenSetup.CaseSummaryTable} set data = data - 'referenceIndex' where id = $1"))
        {
            strip.Parameters.AddWithValue(id);
            (await strip.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        (await FoundAsync(Officer, handle)).ShouldBeEmpty("the row as an earlier version wrote it has no index values");

        var backfill = api.Services.GetRequiredService<Api.Features.Cases.Search.ReferenceIndexBackfill>();
        (await backfill.RunOnceAsync(CancellationToken.None)).ShouldBeGreaterThanOrEqualTo(1);
        (await FoundAsync(Officer, handle)).ShouldBe([id]);
        (await backfill.RunOnceAsync(CancellationToken.None)).ShouldBe(0, "nothing left to do");
    }

    [Fact]
    public async Task Bad_searches_are_refused_with_the_field_named_and_the_search_is_for_staff_who_work_cases()
    {
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { reference = "" }, "reference"), (new { reference = "   " }, "reference"), (new { reference = new string('x', 201) }, "reference"),
                     (new { reference = "x", limit = 0 }, "limit"), (new { reference = "x", limit = 201 }, "limit"), (new { reference = "x", cursor = "not-a-cursor" }, "cursor"),
                 })
        {
            var problem = await (await Officer.PostJson("/api/v1/cases/search", body)).ShouldBeProblem(HttpStatusCode.BadRequest);
            problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain(field, body.ToString());
        }
        await (await api.ClientAs("auditor-1", Roles.Auditor).PostJson("/api/v1/cases/search", new { reference = "x" })).ShouldBeProblem(HttpStatusCode.Forbidden);
        await (await api.CreateClient().PostJson("/api/v1/cases/search", new { reference = "x" })).ShouldBeProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_search_is_served_by_a_gin_index_on_the_rows_index_values()
    {
        await OpenAsync(Unique("planned"), Unique("post"));
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("set local enable_seqscan = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand(
            $"explain select d.data from {MartenSetup.CaseSummaryTable} d where (d.data -> 'referenceIndex') @> '[\"x\"]'::jsonb " +
            "and (d.restricted = false or jsonb_exists(d.data -> 'allowedSubjects', 'x')) order by d.last_changed_at_unix_ms desc, d.id desc limit 51",
            connection, transaction);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        }
        string.Join('\n', plan).ShouldContain("mt_doc_casesummary_idx_referenceindex_gin");
    }
}
