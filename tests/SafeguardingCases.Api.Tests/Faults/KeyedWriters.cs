using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Writers that behave as a careful client does: each note has its own Idempotency-Key and is sent until it is
/// acknowledged (201); an answer that is not one (a 503, a connection cut, a timeout, a proxy's 502 when the instance
/// behind it went away) is retried with the same key.
/// Anything else (a 500, a 409) is recorded as unexpected. Bounded in time, so a test cannot hang.
/// </summary>
public sealed class KeyedWriters(IReadOnlyList<Guid> cases, int writers, int notesPerWriter)
{
    public ConcurrentDictionary<string, Guid> Acknowledged { get; } = new();
    public ConcurrentBag<string> Unexpected { get; } = [];
    public int Unavailable => unavailable;
    public int CutOff => cutOff;
    public int Replayed => replayed;
    public int Total => writers * notesPerWriter;

    private int unavailable, cutOff, replayed;

    public static string Text(int writer, int note) => $"writer {writer} note {note}";

    public Guid CaseOf(int writer) => cases[writer % cases.Count];

    /// <summary>Runs every writer to the end; <paramref name="client"/> gives the client to use now (it may change).</summary>
    public Task RunAsync(Func<HttpClient> client, TimeSpan limit) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => WriteAsync(w, client, DateTime.UtcNow + limit)));

    private async Task WriteAsync(int writer, Func<HttpClient> client, DateTime deadline)
    {
        for (var note = 0; note < notesPerWriter; note++)
        {
            var key = $"w{writer}-n{note}";
            while (true)
            {
                if (DateTime.UtcNow > deadline)
                {
                    Unexpected.Add($"{key}: not acknowledged before the deadline");
                    return;
                }
                try
                {
                    var response = await client().PostJson($"/api/v1/cases/{CaseOf(writer)}/notes", new { text = Text(writer, note) }, idempotencyKey: key);
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        if (response.Headers.Contains("Idempotent-Replayed")) Interlocked.Increment(ref replayed);
                        Acknowledged[key] = JsonNode.Parse(body)!["noteId"]!.GetValue<Guid>();
                        break;
                    }
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is not null)
                    {
                        Interlocked.Increment(ref unavailable);
                    }
                    else if (response.StatusCode == HttpStatusCode.BadGateway && response.Content.Headers.ContentType?.MediaType is "text/html")
                    {
                        // A proxy's answer (the API never sends 502): the instance went away mid-request, as a cut connection.
                        Interlocked.Increment(ref cutOff);
                    }
                    else
                    {
                        Unexpected.Add($"{key}: {(int)response.StatusCode} {body}");
                        break;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref cutOff);
                }
                await Task.Delay(Random.Shared.Next(50, 150));
            }
        }
    }
}
