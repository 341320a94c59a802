using System.Net;
using Npgsql;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>What the store holds after keyed writers ran: every acknowledged note exactly once, and intact chains.</summary>
public static class ExactlyOnce
{
    public static async Task ShouldHoldAsync(KeyedWriters writers, string connectionString, IReadOnlyList<Guid> cases, HttpClient auditor, int writerCount, int notesPerWriter)
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
            while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.GetGuid(1)));
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
    }
}
