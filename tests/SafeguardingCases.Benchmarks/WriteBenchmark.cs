using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// The write path under HTTP load, against a baseline in the same invocation on the same PostgreSQL:
/// <list type="bullet">
/// <item>baseline: a minimal ASP.NET endpoint with the same JWT validation doing one raw INSERT of the note as jsonb;</item>
/// <item>the API's <c>POST /cases/{id}/notes</c>, each with its own Idempotency-Key, as a retrying client sends it.</item>
/// </list>
/// Both run as their own processes under Kestrel; this process is the load generator: 32 connections, each sending
/// one request after another to a random one of 1,000 cases, for a fixed time after a warm-up. It prints requests/s,
/// p50, p99 and non-2xx for each, and the ratio, for each round (baseline and API alternate).
/// Run: dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- write [--rounds 3] [--seconds 10] [--without-keys] [--ledger] [--two [--disjoint] [--routed]] [--api-env NAME=VALUE]...
/// With --two, a second API process on the API's database, and each round also loads both processes at once over the
/// same cases (the load generator's connections alternate between them, so every case is written by both); with
/// --disjoint also over disjoint halves (each process writes only its own cases), to tell sharing from two processes;
/// with --routed also through nginx routing each case to one process (deploy/nginx/route-by-case.conf, as the ingress
/// does), beside one process through the same nginx, so both pay for the proxy.
/// Targets (issue 8): the API at ≥ 0.5× the baseline's requests/s, p99 ≤ 50 ms, 0 non-2xx.
/// </summary>
public static class WriteBenchmark
{
    private const string SigningKey = "benchmark-signing-key-that-is-at-least-32-bytes";
    private const int Connections = 32, Cases = 1_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = Option(args, "--rounds", 3);
        var seconds = Option(args, "--seconds", 10);
        var warmup = Option(args, "--warmup", 3);
        var server = await PostgresServer.GetAsync();
        Console.WriteLine($"PostgreSQL: {server.Source}; {Connections} connections, {Cases} cases, {warmup} s warm-up, {seconds} s measured, {rounds} rounds");
        try
        {
            var baselineDb = await server.CreateDatabaseAsync("writebase");
            var apiDb = await server.CreateDatabaseAsync("writeapi");
            await using var baseline = await Server.StartAsync(["minimal-endpoint"], baselineDb);
            // --api-env NAME=VALUE (repeatable): a setting for the API processes only (say, a runtime knob to compare).
            var apiEnv = args.Select((a, i) => (a, i)).Where(x => x.a == "--api-env" && x.i + 1 < args.Length)
                .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
            await using var api = await Server.StartAsync([], apiDb, apiEnv);
            // With --ledger, a second API on its own database signs a checkpoint every second (the default is every
            // five minutes), to measure what the ledger costs the write path at its most eager.
            var ledgerRun = args.Contains("--ledger");
            await using var second = args.Contains("--two") ? await Server.StartAsync([], apiDb, apiEnv) : null;
            await using var ledgered = ledgerRun
                ? await Server.StartAsync([], await server.CreateDatabaseAsync("writeledger"), new Dictionary<string, string> { ["Ledger__CheckpointInterval"] = "PT1S" })
                : null;

            var token = DevTokens.Mint(SigningKey, "officer-bench", "Bench Officer", [Roles.SafeguardingOfficer], TimeSpan.FromHours(4));
            using var client = LoadClient(token);
            var apiCases = await OpenCasesAsync(client, api.Address);
            var ledgerCases = ledgered is null ? [] : await OpenCasesAsync(client, ledgered.Address);
            var baselineCases = Enumerable.Range(0, Cases).Select(_ => Guid.NewGuid()).ToArray();

            // Both servers warm up once at full load first (tiered JIT, connection pools, prepared statements), so the
            // first round measures them as warm as the last.
            await LoadAsync(client, [baseline], baselineCases, keyed: false, warmup * 3, 1);
            await LoadAsync(client, [api], apiCases, keyed: true, warmup * 3, 1);
            if (second is not null) await LoadAsync(client, [api, second], apiCases, keyed: true, warmup * 3, 1);
            var keyed = !args.Contains("--without-keys");
            var twoRatios = new List<double>();
            var disjointRatios = new List<double>();
            var routedRatios = new List<double>();
            // --routed: one nginx in front of the API alone and one in front of both, each case to one process.
            await using var routedOne = second is not null && args.Contains("--routed") ? await CaseRouter.StartAsync([api.Address]) : null;
            await using var routedTwo = routedOne is not null ? await CaseRouter.StartAsync([api.Address, second!.Address]) : null;
            if (routedOne is not null) await LoadAsync(client, [api, second!], apiCases, keyed: true, warmup * 3, 1, via: routedTwo);

            var results = new List<(Result Baseline, Result Api)>();
            for (var round = 1; round <= rounds; round++)
            {
                var b = await LoadAsync(client, [baseline], baselineCases, keyed: false, warmup, seconds);
                Console.WriteLine($"round {round}: loading the API (process {api.ProcessId})");
                var a = await LoadAsync(client, [api], apiCases, keyed, warmup, seconds);
                results.Add((b, a));
                Console.WriteLine($"round {round}: baseline {b}");
                Console.WriteLine($"round {round}: API      {a}");
                Console.WriteLine($"round {round}: API/baseline requests/s = {a.PerSecond / b.PerSecond:F2}");
                if (second is not null)
                {
                    var t = await LoadAsync(client, [api, second], apiCases, keyed, warmup, seconds);
                    twoRatios.Add(t.PerSecond / a.PerSecond);
                    Console.WriteLine($"round {round}: two APIs {t}");
                    Console.WriteLine($"round {round}: two APIs / one API requests/s = {t.PerSecond / a.PerSecond:F2}");
                    if (args.Contains("--disjoint"))
                    {
                        // The same two processes, each writing only its own half of the cases: what two processes cost on
                        // this machine without ever writing the same case (the rest of the difference is the sharing).
                        var d = await LoadAsync(client, [api, second], apiCases, keyed, warmup, seconds, disjoint: true);
                        disjointRatios.Add(d.PerSecond / a.PerSecond);
                        Console.WriteLine($"round {round}: two APIs, disjoint halves {d}");
                        Console.WriteLine($"round {round}: two APIs on disjoint halves / one API requests/s = {d.PerSecond / a.PerSecond:F2}");
                    }
                    if (routedOne is not null)
                    {
                        // Through nginx: the API alone, then both with each case routed to one of them (every case
                        // still written by every connection of the load generator).
                        var r1 = await LoadAsync(client, [api], apiCases, keyed, warmup, seconds, via: routedOne);
                        var r2 = await LoadAsync(client, [api, second], apiCases, keyed, warmup, seconds, via: routedTwo);
                        routedRatios.Add(r2.PerSecond / r1.PerSecond);
                        Console.WriteLine($"round {round}: one API through nginx {r1}");
                        Console.WriteLine($"round {round}: two APIs through nginx, routed by case {r2}");
                        Console.WriteLine($"round {round}: routed two APIs / one API, both through nginx, requests/s = {r2.PerSecond / r1.PerSecond:F2} " +
                            $"(/ one API without nginx: {r2.PerSecond / a.PerSecond:F2}); nginx's upstream errors so far: {routedOne.UpstreamErrors() + routedTwo!.UpstreamErrors()}");
                    }
                }
                if (ledgered is not null)
                {
                    var l = await LoadAsync(client, [ledgered], ledgerCases, keyed: true, warmup, seconds);
                    Console.WriteLine($"round {round}: API, checkpoint every second {l}");
                    Console.WriteLine($"round {round}: with/without the ledger's checkpoints requests/s = {l.PerSecond / a.PerSecond:F2}");
                }
            }
            Console.WriteLine($"ratio {Spread([.. results.Select(r => r.Api.PerSecond / r.Baseline.PerSecond)])}; " +
                $"API p99 max {results.Max(r => r.Api.P99Ms):F1} ms; API non-2xx {results.Sum(r => r.Api.Non2xx)}");
            if (twoRatios.Count > 0) Console.WriteLine($"two APIs / one API {Spread(twoRatios)}");
            if (routedRatios.Count > 0) Console.WriteLine($"routed two APIs / one API through nginx {Spread(routedRatios)}");
            if (disjointRatios.Count > 0) Console.WriteLine($"two APIs on disjoint halves / one API {Spread(disjointRatios)}");
            return 0;
        }
        finally
        {
            await PostgresServer.StopAsync();
        }
    }

    private static async Task<Guid[]> OpenCasesAsync(HttpClient client, Uri api)
    {
        var ids = new Guid[Cases];
        await Parallel.ForAsync(0, Cases, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var body = $$"""{"channel":"Chat","sourceReference":"chat-{{i}}","serviceUser":{"reference":"user-{{i}}","ageYears":16},"summary":"Benchmark case"}""";
            using var response = await client.PostAsync(new Uri(api, "/api/v1/cases"), new StringContent(body, Encoding.UTF8, "application/json"), ct);
            response.EnsureSuccessStatusCode();
            ids[i] = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("id").GetGuid();
        });
        return ids;
    }

    /// <summary>
    /// Loads <paramref name="servers"/> with notes for a fixed time: each connection sends to one server in turn, or all
    /// to <paramref name="via"/> (nginx in front of them), whose CPU then counts as the servers'.
    /// </summary>
    private static async Task<Result> LoadAsync(HttpClient client, Server[] servers, Guid[] cases, bool keyed, int warmupSeconds, int seconds,
        bool disjoint = false, CaseRouter? via = null)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var measuring = false;
        var stop = false;
        var latencies = new List<double>[Connections];
        var non2xx = new int[Connections];
        var workers = Enumerable.Range(0, Connections).Select(w => Task.Run(async () =>
        {
            var times = latencies[w] = new List<double>(100_000);
            var address = via?.Address ?? servers[w % servers.Length].Address;
            // Disjoint: a server's connections write only the cases whose index falls to that server.
            var mine = disjoint ? cases.Where((_, i) => i % servers.Length == w % servers.Length).ToArray() : cases;
            var n = 0;
            while (!Volatile.Read(ref stop))
            {
                var id = mine[Random.Shared.Next(mine.Length)];
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, $"/api/v1/cases/{id}/notes"))
                {
                    Content = new StringContent("""{"text":"Called the user back; they are safe tonight and will talk to their teacher."}""", Encoding.UTF8, "application/json"),
                };
                if (keyed) request.Headers.Add("Idempotency-Key", $"{run}-{w}-{n++}");
                var started = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    using var response = await client.SendAsync(request);
                    await response.Content.LoadIntoBufferAsync();
                    ok = (int)response.StatusCode is >= 200 and < 300;
                }
                catch (HttpRequestException)
                {
                }
                if (!Volatile.Read(ref measuring)) continue;
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!ok) non2xx[w]++;
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        var (serverCpu, postgresCpu, ownCpu) = (CpuTime(servers, via), PostgresCpuTime(), Process.GetCurrentProcess().TotalProcessorTime);
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed.TotalSeconds;
        (serverCpu, postgresCpu, ownCpu) = (CpuTime(servers, via) - serverCpu, PostgresCpuTime() - postgresCpu, Process.GetCurrentProcess().TotalProcessorTime - ownCpu);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(workers);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new Result(all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), non2xx.Sum(), all.Length,
            serverCpu.TotalMilliseconds / all.Length, postgresCpu.TotalMilliseconds / all.Length, ownCpu.TotalMilliseconds / all.Length);
    }

    /// <summary>"over N rounds: median m (min a, max b)" of some ratios, one a round.</summary>
    private static string Spread(List<double> ratios)
    {
        var sorted = ratios.Order().ToArray();
        return $"over {sorted.Length} rounds: median {sorted[sorted.Length / 2]:F2} (min {sorted[0]:F2}, max {sorted[^1]:F2})";
    }

    private static TimeSpan CpuTime(Server[] servers, CaseRouter? via) =>
        servers.Aggregate(via?.CpuTime() ?? TimeSpan.Zero, (sum, s) => sum + s.CpuTime());

    /// <summary>CPU time of every postgres process on the machine (this benchmark's cluster is the only busy one).</summary>
    private static TimeSpan PostgresCpuTime()
    {
        var ticks = 0L;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(dir), out _) || !File.ReadAllText(Path.Combine(dir, "comm")).StartsWith("postgres", StringComparison.Ordinal)) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static HttpClient LoadClient(string token)
    {
        var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = Connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Result(double PerSecond, double P50Ms, double P99Ms, int Non2xx, int Requests, double ServerCpuMs, double PostgresCpuMs, double LoadCpuMs)
    {
        public override string ToString() =>
            $"{PerSecond,8:F0} requests/s  p50 {P50Ms,6:F1} ms  p99 {P99Ms,6:F1} ms  non-2xx {Non2xx} of {Requests}  " +
            $"CPU per request: server {ServerCpuMs:F2} ms, PostgreSQL {PostgresCpuMs:F2} ms, load generator {LoadCpuMs:F2} ms";
    }

    /// <summary>A server process: the API, or this assembly's minimal endpoint.</summary>
    private sealed class Server(Process process, Uri address) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public int ProcessId => process.Id;

        public TimeSpan CpuTime()
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }

        public static async Task<Server> StartAsync(string[] mode, string connectionString, IDictionary<string, string>? settings = null)
        {
            var port = Loopback.FreePort();
            var dll = mode.Length == 0 ? "SafeguardingCases.Api.dll" : "SafeguardingCases.Benchmarks.dll";
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
            foreach (var a in mode) start.ArgumentList.Add(a);
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Benchmark";
            start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
            start.Environment["ConnectionStrings__Marten"] = connectionString;
            start.Environment["Auth__DevSigningKey"] = SigningKey;
            start.Environment["Auth__AllowDevTokens"] = "true";
            start.Environment["Database__ApplySchemaOnStartup"] = "true";
            start.Environment["RateLimit__PermitsPerMinute"] = "0";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[{dll}] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var address = new Uri($"http://127.0.0.1:{port}");
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            for (var i = 0; i < 600; i++)
            {
                if (process.HasExited) throw new InvalidOperationException($"{dll} exited with {process.ExitCode}");
                try
                {
                    if ((await probe.GetAsync(new Uri(address, "/health/ready"))).StatusCode == HttpStatusCode.OK) return new Server(process, address);
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }
                await Task.Delay(100);
            }
            throw new TimeoutException($"{dll} did not become ready");
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}

/// <summary>
/// The baseline server: what any ASP.NET endpoint that accepts a note must do (Kestrel, the same JWT validation, JSON
/// binding) and one INSERT of the note as jsonb through Npgsql, with nothing else.
/// </summary>
public static class MinimalEndpoint
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.ClearProviders();
        var connectionString = builder.Configuration.GetConnectionString("Marten")!;
        var key = builder.Configuration["Auth:DevSigningKey"]!;
        var db = NpgsqlDataSource.Create(connectionString);
        await using (var create = db.CreateCommand("create table if not exists notes (id uuid primary key, case_id uuid not null, data jsonb not null)"))
        {
            await create.ExecuteNonQueryAsync();
        }
        builder.Services.AddSingleton(db);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                NameClaimType = "name",
                RoleClaimType = "role",
                ValidateLifetime = true,
                ClockSkew = TimeSpan.FromMinutes(1),
                ValidIssuer = AuthOptions.DevIssuer,
                ValidAudience = AuthOptions.DevAudience,
                IssuerSigningKey = DevTokens.SigningKey(key),
            };
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/health/ready", () => Results.Ok());
        app.MapPost("/api/v1/cases/{id:guid}/notes", async (Guid id, NoteBody body, NpgsqlDataSource data) =>
        {
            var noteId = Guid.CreateVersion7();
            await using var insert = data.CreateCommand("insert into notes (id, case_id, data) values ($1, $2, $3::jsonb)");
            insert.Parameters.AddWithValue(noteId);
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(body));
            await insert.ExecuteNonQueryAsync();
            return Results.Created($"/api/v1/cases/{id}/notes/{noteId}", new { noteId, version = 1 });
        }).RequireAuthorization(p => p.RequireRole(Roles.SafeguardingOfficer));
        await app.RunAsync();
        return 0;
    }

    public sealed record NoteBody(string Text);
}
