using System.Net;
using Npgsql;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>What the store holds after keyed writers ran: every acknowledged note exactly once, and intact chains.</summary>
public static class ExactlyOnce
{
    /// <returns>How long a checkpoint on request took to cover every committed event after the fault.</returns>
    public static async Task<TimeSpan> ShouldHoldAsync(KeyedWriters writers, string connectionString, IReadOnlyList<Guid> cases, HttpClient auditor, int writerCount, int notesPerWriter)
    {
        writers.Unexpected.ShouldBeEmpty();
        writers.Acknowledged.Count.ShouldBe(writers.Total, "every note is eventually acknowledged");

        var stored = new List<(string Text, Guid NoteId)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "select data->>'text', (data->>'noteId')::uuid from mt_events where stream_id = any($1) and mt_dotnet_type like '%.NoteAdded,%'", connection);
            command.Parameters.AddWithValue(cases.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            var open = SealedValues.Opener(connectionString);
            while (await reader.ReadAsync()) stored.Add((open(reader.GetString(0)), reader.GetGuid(1)));
        }

        var duplicated = stored.GroupBy(s => s.Text).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        duplicated.ShouldBeEmpty("no note is recorded twice");
        stored.Count.ShouldBe(writers.Total, "no acknowledged note is lost and none is added");
        for (var w = 0; w < writerCount; w++)
        {
            for (var n = 0; n < notesPerWriter; n++)
            {
                var text = KeyedWriters.Text(w, n);
                // The id the client was given is the id the store holds: the answer belongs to the write that landed.
                stored.Single(s => s.Text == text).NoteId.ShouldBe(writers.Acknowledged[$"w{w}-n{n}"], text);
            }
        }

        foreach (var id in cases)
        {
            var integrity = await (await auditor.GetAsync($"/api/v1/cases/{id}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
            integrity["valid"]!.GetValue<bool>().ShouldBeTrue($"case {id}: {integrity.ToJsonString()}");
        }
        return await CheckpointCoversEveryEventAsync(connectionString, auditor, TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// After the fault, a checkpoint made on request covers every event committed before it, within
    /// <paramref name="within"/>: the gaps the fault left (numbers taken by appends that never committed) settle as
    /// soon as no transaction that could fill them is alive. And the ledger verifies against it.
    /// </summary>
    public static async Task<TimeSpan> CheckpointCoversEveryEventAsync(string connectionString, HttpClient auditor, TimeSpan within)
    {
        long events;
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("select count(*) from mt_events where mt_dotnet_type like 'SafeguardingCases.Domain.Cases.%'", connection);
            events = (long)(await count.ExecuteScalarAsync())!;
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        long treeSize;
        do
        {
            var checkpoint = await (await auditor.PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK)).Json();
            treeSize = checkpoint["treeSize"]!.GetValue<long>();
            if (treeSize == events) break;
            await Task.Delay(200);
        }
        while (started.Elapsed < within);
        treeSize.ShouldBe(events, $"a checkpoint covers every committed event within {within.TotalSeconds} s of asking");
        var verified = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={treeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        verified["valid"]!.GetValue<bool>().ShouldBeTrue("no false alarm after the fault");
        return started.Elapsed;
    }
}
