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
