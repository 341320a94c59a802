using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Operations;

/// <summary>
/// Telemetry as an operator receives it: an OTLP/HTTP receiver in the test gets the API process's traces, metrics
/// (the safeguarding ones included) and logs; outside Development the console logs are JSON with the W3C trace id.
/// </summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task An_otlp_receiver_gets_traces_metrics_and_logs_and_console_logs_are_json_with_the_trace_id()
    {
        using var receiver = OtlpReceiver.Start();
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("telemetry");
        await using var api = await ApiProcess.StartAsync(connectionString, Loopback.FreePort(), new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "safeguarding-cases-under-test",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            ["Telemetry__OverdueRefresh"] = "PT1S",
            ["Logging__LogLevel__Default"] = "Information",
        });
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var open = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created);
        var url = open.Headers.Location!.ToString();
        var notFound = await officer.GetAsync($"/api/v1/cases/{Guid.NewGuid()}");
        var traceId = (await notFound.Json())["traceId"]!.GetValue<string>();
        await officer.PostJson($"{url}/notes", new { text = "committed in a group" }).ShouldBe(HttpStatusCode.Created);
        await officer.PostJson($"{url}/close", new { reason = "" });

        await receiver.WaitForAsync(() =>
            receiver.Contains("/v1/traces", "safeguarding-cases-under-test") && receiver.Contains("/v1/traces", "api/v1/cases")
            && receiver.Contains("/v1/metrics", "safeguarding.commands") && receiver.Contains("/v1/metrics", "safeguarding.obligations.overdue")
            && receiver.Contains("/v1/metrics", "safeguarding.commit.group_size")
            && receiver.Contains("/v1/metrics", "http.server.request.duration") && receiver.Contains("/v1/logs", "handled in"));

        receiver.Contains("/v1/traces", "postgresql").ShouldBeTrue("Npgsql's spans are exported with the request's");
        await receiver.WaitForAsync(() => receiver.Contains("/v1/traces", "/api/v1/cases/{id}/notes"));
        receiver.Contains("/v1/traces", "POST /api/v1/cases/{id}/notes").ShouldBeTrue("request spans are named by route template");
        receiver.Contains("/v1/traces", url.Split('/').Last()).ShouldBeFalse("no case id in any span");
        receiver.Contains("/v1/metrics", "OpenCase").ShouldBeTrue("commands are counted by type");

        var json = api.Output.Where(l => l.StartsWith('{')).ToList();
        json.ShouldNotBeEmpty("outside Development the console logs are JSON");
        foreach (var line in json) JsonDocument.Parse(line).RootElement.GetProperty("LogLevel").GetString().ShouldNotBeNullOrEmpty();
        json.ShouldContain(l => l.Contains(traceId, StringComparison.Ordinal), "the problem's trace id is in the request's log lines");
        api.Output.ShouldNotContain(l => l.Contains(url.Split('/').Last(), StringComparison.Ordinal), "no case id (nor any path) in the logs");
    }

    /// <summary>A minimal OTLP/HTTP collector: keeps every export body by path, answers 200 with an empty protobuf response.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly ConcurrentQueue<(string Path, byte[] Body)> received = new();

        public string Endpoint { get; private init; } = "";

        public static OtlpReceiver Start()
        {
            var port = Loopback.FreePort();
            var receiver = new OtlpReceiver { Endpoint = $"http://127.0.0.1:{port}" };
            receiver.listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            receiver.listener.Start();
            _ = receiver.ServeAsync();
            return receiver;
        }

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception) when (!listener.IsListening)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        /// <summary>Whether an export to the path carried the text (protobuf keeps strings as UTF-8 bytes).</summary>
        public bool Contains(string path, string text)
        {
            var needle = Encoding.UTF8.GetBytes(text);
            return received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(needle) >= 0);
        }

        public async Task WaitForAsync(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!condition())
            {
                if (DateTime.UtcNow > deadline)
                    throw new TimeoutException("Not all telemetry arrived: " + string.Join(", ", received.GroupBy(r => r.Path).Select(g => $"{g.Key} x{g.Count()}")));
                await Task.Delay(100);
            }
        }

        public void Dispose() => listener.Close();
    }
}
