using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// The group commit writes Marten's own tables with its own statement (GroupCommit.sql). These tests catch Marten
/// changing under it (issue 19): the tables and append functions as a checked-in contract, the same commands committed
/// by both paths compared row by row, and the start-up guards refusing a projection the group path would skip.
/// </summary>
public sealed partial class MartenDriftTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public const string UpdateVariable = "SAFEGUARDING_UPDATE_SCHEMA";
    private static readonly string ContractPath = Path.Combine(SafeguardingCases.Testing.Repository.Root, "tests", "marten-schema.txt");

    [Fact]
    public async Task Martens_tables_and_append_functions_are_the_ones_the_group_statement_was_written_for()
    {
        await api.OpenCase();
        await using var db = new NpgsqlConnection(api.ConnectionString);
        await db.OpenAsync();
        var contract = await ContractAsync(db, null);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1") await File.WriteAllTextAsync(ContractPath, contract);
        var differences = Differences(await File.ReadAllTextAsync(ContractPath), contract);
        differences.ShouldBeEmpty(
            "Marten's schema changed (an upgrade?). Review GroupCommit.sql against it, then accept it with " +
            $"{UpdateVariable}=1 dotnet test tests/SafeguardingCases.Api.Tests --filter FullyQualifiedName~MartenDriftTests");
    }

    [Fact]
    public async Task A_column_added_to_mt_events_by_hand_fails_the_contract()
    {
        await api.OpenCase();
        await using var db = new NpgsqlConnection(api.ConnectionString);
        await db.OpenAsync();
        await using var change = await db.BeginTransactionAsync();
        await using (var alter = new NpgsqlCommand("alter table mt_events add column added_by_hand text", db, change)) await alter.ExecuteNonQueryAsync();
        var differences = Differences(await File.ReadAllTextAsync(ContractPath), await ContractAsync(db, change));
        await change.RollbackAsync();
        differences.ShouldBe(["+ public.mt_events.added_by_hand text null"]);
    }

    [Fact]
    public async Task The_group_statement_and_Marten_write_the_same_rows_for_every_command_that_takes_the_group_path()
    {
        await using var marten = new SharedDatabase(api.ConnectionString, groupCommit: false);
        await marten.InitializeAsync();
        var viaGroup = await ScriptAsync(api);
        var viaMarten = await ScriptAsync(marten);

        await using var db = new NpgsqlConnection(api.ConnectionString);
        await db.OpenAsync();
        foreach (var (table, key) in new[] { ("mt_events", "stream_id"), ("mt_streams", "id"), ("mt_doc_casestream", "id"), ("mt_doc_casesummary", "id") })
        {
            var group = await RowsAsync(db, table, key, viaGroup.CaseId);
            var other = await RowsAsync(db, table, key, viaMarten.CaseId);
            group.Count.ShouldBeGreaterThan(0);
            group.ShouldBe(other, $"{table}: the group statement wrote what Marten would not have");
        }
        (await RowsAsync(db, "mt_doc_idempotencyrecord", "id", viaGroup.AnswerId))
            .ShouldBe(await RowsAsync(db, "mt_doc_idempotencyrecord", "id", viaMarten.AnswerId), "the remembered answers differ");
        // And the script really did take the group path on one side: its events carry the API's one clock either way,
        // but only the group path leaves this process remembering the case.
        api.Services.GetRequiredService<CaseAppendQueue>().Remembered(viaGroup.CaseId).ShouldNotBeNull();
        marten.Services.GetRequiredService<CaseAppendQueue>().Remembered(viaMarten.CaseId).ShouldBeNull();
    }

    [Fact]
    public void An_inline_projection_of_an_event_the_group_path_commits_stops_start_up()
    {
        var options = MartenSetup.Configure(new StoreOptions(), NpgsqlDataSource.Create(api.ConnectionString));
        GroupCommitStatement.For(options).MartenOnlyEvents.ShouldNotContain(typeof(NoteAdded));
        options.Projections.Add(new NotesByDay(), ProjectionLifecycle.Inline);
        GroupCommitStatement.For(options).MartenOnlyEvents.ShouldContain(typeof(NoteAdded), "a note now feeds a projection the group statement does not run");

        var unfiltered = MartenSetup.Configure(new StoreOptions(), NpgsqlDataSource.Create(api.ConnectionString));
        unfiltered.Events.MetadataConfig.CorrelationIdEnabled = true;
        Should.Throw<StartupRefusedException>(() => GroupCommitStatement.For(unfiltered)).Message.ShouldContain("correlation");
    }

    /// <summary>An inline projection a later change might add: it handles notes.</summary>
    private sealed class NotesByDay : EventProjection
    {
        public NotesByDay() => IncludeType<NoteAdded>();

        public override ValueTask ApplyAsync(IDocumentOperations operations, JasperFx.Events.IEvent e, CancellationToken cancellation) => ValueTask.CompletedTask;
    }

    /// <summary>
    /// One of each command that takes the group path (allocation among them, so the list row's allocated_to column too) (the escalation between them goes through Marten on both sides),
    /// with the same bodies, on a case of its own. Returns the case and the id of one remembered answer.
    /// </summary>
    private static async Task<(Guid CaseId, string AnswerId)> ScriptAsync(ApiFactory on)
    {
        var c = await CaseApi.Open(on, ageYears: 15);
        var d = await c.Disclosure(Concern("Physical"));
        var answersBefore = await AnswerIdsAsync(on);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "Called the user back" }, idempotencyKey: $"drift-{c.Id}").ShouldBe(HttpStatusCode.Created);
        var answer = (await AnswerIdsAsync(on)).Except(answersBefore).Single();
        await c.Officer.PostJson($"{c.Url}/persons", new { reference = "club-juniors", description = "Children the coach trains", ageBand = "Under13" })
            .ShouldBe(HttpStatusCode.Created);
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await c.SafetyPlan("NotPossible");
        await c.Officer.PutJson($"{c.Url}/allocation", new { subject = "officer-1", name = "Officer One", email = "officer-1@example.org" }).ShouldBe(HttpStatusCode.OK);
        var e = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        await c.SendNotice(e).ShouldBe(HttpStatusCode.Created);
        await c.Officer.PostJson($"{c.Url}/agency-responses", new { escalationId = e, summary = "Police will visit" }).ShouldBe(HttpStatusCode.Created);
        await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = new[] { "officer-1", "clinician-1", "lead-1" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "").ShouldBe(HttpStatusCode.OK);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        await c.Officer.PostJson($"{c.Url}/reopen", new { reason = "New post" }).ShouldBe(HttpStatusCode.OK);
        return (c.Id, answer);
    }

    private static async Task<HashSet<string>> AnswerIdsAsync(ApiFactory on)
    {
        await using var session = on.Store.QuerySession();
        return [.. await session.Query<SafeguardingCases.Api.Infrastructure.Http.IdempotencyRecord>().Select(r => r.Id).ToListAsync()];
    }

    /// <summary>
    /// Every column of the rows, as JSON, but the ids, sequence numbers and instants (which differ between two cases by
    /// nature): the row's own id columns are left out, and ids, instants, hashes and Unix milliseconds inside are masked.
    /// </summary>
    private static async Task<List<string>> RowsAsync(NpgsqlConnection db, string table, string key, object id)
    {
        await using var command = new NpgsqlCommand(
            $"select to_jsonb(t) - 'seq_id' - 'id' - 'stream_id' - 'timestamp' - 'created' - 'mt_last_modified' from {table} t " +
            $"where {key} = @id order by {(table == "mt_events" ? "version" : "1")}", db);
        command.Parameters.AddWithValue("id", id);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(Mask(reader.GetString(0)));
        return rows;
    }

    private static string Mask(string json)
    {
        // Sealed personal values differ by nature too: each case has its own key.
        json = SealedPattern().Replace(json, "<sealed>");
        json = GuidPattern().Replace(json, "<id>");
        json = InstantPattern().Replace(json, "<instant>");
        json = HashPattern().Replace(json, "<hash>");
        json = UnixMsPattern().Replace(json, "<ms>");
        return json;
    }

    [GeneratedRegex("enc:v1:[0-9a-f]{32}:[A-Za-z0-9+/=]+")]
    private static partial Regex SealedPattern();

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex GuidPattern();

    [GeneratedRegex(@"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")]
    private static partial Regex InstantPattern();

    [GeneratedRegex(@"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d'")]
    private static partial Regex DefaultInstant();

    [GeneratedRegex("[0-9a-fA-F]{64}")]
    private static partial Regex HashPattern();

    [GeneratedRegex(@"(?<![\d.])\d{13}(?![\d.])")]
    private static partial Regex UnixMsPattern();

    /// <summary>
    /// Marten's tables the group statement writes (each column: type, nullability, default) and a hash of each of
    /// Marten's functions' definitions (its append functions among them).
    /// </summary>
    private static async Task<string> ContractAsync(NpgsqlConnection db, NpgsqlTransaction? transaction)
    {
        var lines = new List<string>();
        await using (var columns = new NpgsqlCommand(
                         "select table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || " +
                         "case when is_nullable = 'YES' then 'null' else 'not null' end || coalesce(' default ' || column_default, '') " +
                         "from information_schema.columns where table_schema = 'public' and table_name = any(@tables) " +
                         "order by table_name, column_name", db, transaction))
        {
            columns.Parameters.AddWithValue("tables", new[] { "mt_events", "mt_streams", "mt_doc_casestream", "mt_doc_casesummary", "mt_doc_idempotencyrecord" });
            await using var reader = await columns.ExecuteReaderAsync();
            // A default Marten writes as the instant the table was made is that instant's, not the schema's.
            while (await reader.ReadAsync()) lines.Add(DefaultInstant().Replace(reader.GetString(0), "'<instant>'"));
        }
        await using (var functions = new NpgsqlCommand(
                         "select p.proname, pg_get_functiondef(p.oid) from pg_proc p join pg_namespace n on n.oid = p.pronamespace " +
                         "where n.nspname = 'public' and p.proname like 'mt\\_%' and p.proname not like 'mt\\_upsert\\_%' " +
                         "and p.proname not like 'mt\\_insert\\_%' and p.proname not like 'mt\\_update\\_%' and p.proname not like 'mt\\_overwrite\\_%' " +
                         "order by 1, 2", db, transaction))
        {
            await using var reader = await functions.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                lines.Add($"function {reader.GetString(0)} sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reader.GetString(1))))}");
        }
        return string.Join('\n', lines) + "\n";
    }

    private static List<string> Differences(string expected, string actual)
    {
        var before = expected.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var after = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. before.Except(after).Select(l => $"- {l}"), .. after.Except(before).Select(l => $"+ {l}")];
    }

    /// <summary>A second API on the same database, committing every command through Marten (Commands__GroupCommit=false).</summary>
    private sealed class SharedDatabase(string connectionString, bool groupCommit) : ApiFactory
    {
        public override ValueTask InitializeAsync()
        {
            ConnectionString = connectionString;
            return ValueTask.CompletedTask;
        }

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Commands:GroupCommit"] = groupCommit ? "true" : "false" };
    }
}
