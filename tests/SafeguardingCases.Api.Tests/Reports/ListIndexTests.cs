using Npgsql;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Reports;

/// <summary>
/// The case list row's indexes: every write of a row adds an entry to each index whose predicate the row meets, so the
/// queues' indexes hold only the cases owing that obligation, and each queue is still read from its own index.
/// </summary>
public sealed class ListIndexTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public static TheoryData<ObligationType> Obligations => [.. Enum.GetValues<ObligationType>()];

    [Theory]
    [MemberData(nameof(Obligations))]
    public async Task A_queue_index_holds_only_the_cases_owing_it_and_serves_the_queue(ObligationType obligation)
    {
        await api.OpenCase();
        var column = CaseSummary.DueColumn(obligation);
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();

        (await Scalar(connection, $"select indexdef from pg_indexes where indexname = 'mt_doc_casesummary_idx_{column}'"))
            .ShouldEndWith($"WHERE ({column} IS NOT NULL)");

        // The shape of ListCasesHandler's queue query; with sequential scans off, the plan shows which index can serve it.
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("set local enable_seqscan = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        var plan = await Scalar(connection,
            $"explain select d.data from {MartenSetupTable} d where (d.restricted = false or jsonb_exists(d.data -> 'allowedSubjects', 'x')) " +
            $"and d.{column} is not null order by d.{column}, d.id limit 51", transaction);
        plan.ShouldContain($"mt_doc_casesummary_idx_{column}");
    }

    [Fact]
    public async Task The_restricted_index_holds_only_restricted_cases()
    {
        await api.OpenCase();
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();

        (await Scalar(connection, "select indexdef from pg_indexes where indexname = 'mt_doc_casesummary_idx_restricted'")).ShouldEndWith("WHERE restricted");
    }

    [Fact]
    public async Task The_restricted_filter_walks_the_restricted_cases_by_last_change_and_stops_after_a_page()
    {
        await api.OpenCase();
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        const string index = SafeguardingCases.Api.Infrastructure.Persistence.MartenSetup.RestrictedByLastChangeIndex;
        (await Scalar(connection, $"select indexdef from pg_indexes where indexname = '{index}'")).ShouldEndWith("(last_changed_at_unix_ms) WHERE restricted");

        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("set local enable_seqscan = off; set local enable_sort = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        var plan = await Scalar(connection,
            $"explain select d.data from {MartenSetupTable} d where (d.restricted = false or jsonb_exists(d.data -> 'allowedSubjects', 'x')) " +
            "and d.restricted = true order by d.last_changed_at_unix_ms desc, d.id desc limit 51", transaction);
        plan.ShouldContain(index);
    }

    private const string MartenSetupTable = SafeguardingCases.Api.Infrastructure.Persistence.MartenSetup.CaseSummaryTable;

    private static async Task<string> Scalar(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return string.Join('\n', lines);
    }
}

/// <summary>The event log's own indexes the write path relies on.</summary>
public sealed class EventIndexTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task An_event_is_found_by_its_id_through_a_unique_index_after_an_ambiguous_commit()
    {
        await api.OpenCase();
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("set local enable_seqscan = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        await using var explain = new NpgsqlCommand($"explain select 1 from mt_events where id = '{Guid.NewGuid()}'", connection, transaction);
        var plan = (string)(await explain.ExecuteScalarAsync())!;
        plan.ShouldStartWith("Index");
        await using var unique = new NpgsqlCommand("select count(*) from pg_indexes where tablename = 'mt_events' and indexdef like 'CREATE UNIQUE INDEX % (id)%'", connection, transaction);
        ((long)(await unique.ExecuteScalarAsync())!).ShouldBe(1);
    }

    [Fact]
    public async Task Events_committed_together_carry_the_APIs_clock_not_the_databases()
    {
        var id = await api.OpenCase();
        // The tests' clock is a fake: a day ahead of the database's, so the two cannot be mistaken for each other.
        api.Clock.Advance(NodaTime.Duration.FromDays(1));
        var at = api.Clock.GetCurrentInstant();
        await api.ClientFor(Domain.Cases.Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "stamped" })
            .ShouldBe(System.Net.HttpStatusCode.Created);
        await using var connection = new NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand($"select timestamp from mt_events where stream_id = '{id}' and version = 2", connection);
        var stamped = NodaTime.Instant.FromDateTimeUtc(((DateTime)(await read.ExecuteScalarAsync())!).ToUniversalTime());
        (stamped - at).TotalSeconds.ShouldBeInRange(-1, 5);
    }
}
