using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// A real HTTP receiver on a loopback port (Kestrel) that checks each delivery's signature the way the Standard
/// Webhooks specification says, written here from the specification (not the API's code): HMAC-SHA256 over
/// <c>id.timestamp.body</c> with the base64-decoded part of the secret after <c>whsec_</c>, any of the space-separated
/// <c>v1,</c> signatures matching.
/// </summary>
public sealed class TestWebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int failuresLeft;
    private Func<string, bool> failing = _ => true;
    private TaskCompletionSource? holding;
    private int held;

    public sealed record Received(string Id, long Timestamp, string Body, string[] Signatures, int Answered);

    private TestWebhookReceiver(WebApplication app, int port)
    {
        this.app = app;
        Url = $"http://127.0.0.1:{port}/hooks";
    }

    public string Url { get; }

    public ConcurrentQueue<Received> Deliveries { get; } = new();

    /// <summary>The secrets the receiver accepts (the endpoint's secret, and during a rotation both).</summary>
    public ConcurrentBag<string> Secrets { get; } = [];

    /// <summary>Answer 500 to the next <paramref name="count"/> deliveries whose body <paramref name="matches"/> (any, without it).</summary>
    public void FailNext(int count, Func<string, bool>? matches = null)
    {
        failing = matches ?? (_ => true);
        Volatile.Write(ref failuresLeft, count);
    }

    /// <summary>From now on, answer nothing: every delivery waits (as at an endpoint that has hung) until <see cref="Release"/>.</summary>
    public void Hold() => holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers the deliveries held, and every one after.</summary>
    public void Release() => Interlocked.Exchange(ref holding, null)?.TrySetResult();

    /// <summary>How many deliveries are waiting for an answer now.</summary>
    public int Held => Volatile.Read(ref held);

    public static async Task<TestWebhookReceiver> StartAsync()
    {
        var port = Loopback.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var receiver = new TestWebhookReceiver(app, port);
        app.MapPost("/hooks", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            if (receiver.holding is { } hold)
            {
                Interlocked.Increment(ref receiver.held);
                try
                {
                    await hold.Task.WaitAsync(http.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The sender gave up waiting.
                    return;
                }
                finally
                {
                    Interlocked.Decrement(ref receiver.held);
                }
            }
            var status = receiver.failing(body) && Interlocked.Decrement(ref receiver.failuresLeft) >= 0 ? 500 : 200;
            receiver.Deliveries.Enqueue(new Received(http.Request.Headers["webhook-id"].ToString(),
                long.Parse(http.Request.Headers["webhook-timestamp"].ToString(), System.Globalization.CultureInfo.InvariantCulture), body,
                http.Request.Headers["webhook-signature"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries), status));
            http.Response.StatusCode = status;
        });
        await app.StartAsync();
        return receiver;
    }

    /// <summary>The secrets (of <see cref="Secrets"/>) whose signature this delivery carries.</summary>
    public IReadOnlyList<string> SignedWith(Received delivery) =>
    [
        .. Secrets.Where(secret =>
        {
            var key = Convert.FromBase64String(secret["whsec_".Length..]);
            var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{delivery.Id}.{delivery.Timestamp}.{delivery.Body}")));
            return delivery.Signatures.Contains(expected, StringComparer.Ordinal);
        }),
    ];

    public async Task<List<Received>> WaitForAsync(Func<Received, bool> match, int count, int seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var found = Deliveries.Where(match).ToList();
            if (found.Count >= count || DateTime.UtcNow > until) return found;
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
