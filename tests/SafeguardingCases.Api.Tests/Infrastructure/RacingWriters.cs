using System.Net;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// Writers without If-Match racing on a few cases for a while (issue 19: none may be refused for racing). Each writer
/// posts notes one after another to its case; afterwards every case must hold exactly the notes answered 201, each
/// once. <c>SAFEGUARDING_RACE_SECONDS</c> sets how long: by default 12 s, a few thousand notes, so the whole suite stays
/// within its ten minutes on a 2-core machine (each second of racing takes both cores); the closing figures come from 60.
/// </summary>
public static class RacingWriters
{
    public static TimeSpan Duration =>
        TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("SAFEGUARDING_RACE_SECONDS"), out var s) && s > 0 ? s : 12);

    /// <summary>Runs the writers (writer w on case w % cases, through client w % clients) and checks every case.</summary>
    public static async Task<int> ShouldAllLandAsync(ApiFactory store, IReadOnlyList<Guid> cases, IReadOnlyList<Func<int, HttpClient>> processes, int writers = 16)
    {
        var until = DateTime.UtcNow + Duration;
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            var client = processes[w % processes.Count](w);
            var landed = new List<string>();
            var refused = new List<HttpStatusCode>();
            for (var n = 0; DateTime.UtcNow < until; n++)
            {
                var text = $"w{w} n{n}";
                var response = await client.PostJson($"/api/v1/cases/{cases[w % cases.Count]}/notes", new { text });
                if (response.StatusCode == HttpStatusCode.Created) landed.Add(text);
                else refused.Add(response.StatusCode);
            }
            return (Case: cases[w % cases.Count], Landed: landed, Refused: refused);
        }));

        results.SelectMany(r => r.Refused).ShouldBeEmpty("no writer without If-Match is refused for racing");
        foreach (var id in cases)
        {
            var expected = results.Where(r => r.Case == id).SelectMany(r => r.Landed).Order(StringComparer.Ordinal).ToList();
            var events = await store.EventsOf(id);
            var notes = events.Select(e => e.Data).OfType<NoteAdded>().Select(n => n.Text).Order(StringComparer.Ordinal).ToList();
            notes.ShouldBe(expected, "every acknowledged note is there once, and nothing else");
            events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, events.Count).Select(v => (long)v), "versions run without gaps");
        }
        return results.Sum(r => r.Landed.Count);
    }
}
