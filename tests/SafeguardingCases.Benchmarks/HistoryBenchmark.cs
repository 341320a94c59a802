using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// History and as-of of a case with 10,000 events, through the real API (auth, Mediator, access log, JSON) against
/// real PostgreSQL, each compared in the same run with a raw SELECT of the same rows through Npgsql (the baseline).
/// Targets (issue 5): history ≤ 1.5× the raw read, median; as-of at the last version ≤ 1.5× too.
/// Run: dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- --filter '*HistoryBenchmark*'
/// </summary>
[MemoryDiagnoser]
[InProcess]
public class HistoryBenchmark
{
    private const string SigningKey = "benchmark-signing-key-that-is-at-least-32-bytes";
    private BenchmarkApi api = null!;
    private HttpClient client = null!;
    private NpgsqlDataSource raw = null!;
    private Guid caseId;

    [Params(10_000)]
    public int Events { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("bench");
        // WebApplicationFactory looks for the API's content root beside the solution; say where it is.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SAFEGUARDINGCASES_API", SafeguardingCases.Testing.Repository.ApiContentRoot);
        api = new BenchmarkApi(connectionString);
        client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Mint(SigningKey, "auditor-bench", "Bench Auditor", [Roles.Auditor], TimeSpan.FromHours(4)));
        raw = NpgsqlDataSource.Create(connectionString);

        caseId = Guid.NewGuid();
        var officer = new Actor("officer-bench", "Bench Officer", [Roles.SafeguardingOfficer]);
        var t = Instant.FromUtc(2026, 1, 1, 0, 0);
        var events = new List<object> { new CaseOpened(caseId, Channel.Chat, "chat-1", "user-1", new Age(16, null), "A long case", officer, t) };
        for (var i = 1; i < Events; i++) events.Add(new NoteAdded(Guid.NewGuid(), $"Note {i}: follow-up call with the user about their week.", officer, t + Duration.FromMinutes(i)));
        // PRIVACY-AT-REST: the case's key is stored with its events, which are sealed under it as the API seals them.
        var keys = api.Services.GetRequiredService<SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing>();
        var (key, stored) = keys.Create(caseId);
        await using (var session = api.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        using (SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyScope.Enter(caseId, key))
        {
            session.Insert(stored);
            session.Events.StartStream<SafeguardingCases.Api.Infrastructure.Persistence.CaseStream>(caseId, events);
            await session.SaveChangesAsync();
            keys.Confirm(caseId, key);
        }

        // Warm both paths (schema, JIT, connection pools) before measuring.
        await RawSelect();
        await History();
        await AsOfLastVersion();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        client.Dispose();
        await api.DisposeAsync();
        await raw.DisposeAsync();
        await PostgresServer.StopAsync();
    }

    /// <summary>The baseline: the same rows and columns, read through Npgsql and nothing else.</summary>
    [Benchmark(Baseline = true)]
    public async Task<long> RawSelect()
    {
        await using var command = raw.CreateCommand("select seq_id, version, type, mt_dotnet_type, timestamp, data::text from public.mt_events where stream_id = $1 order by version");
        command.Parameters.AddWithValue(caseId);
        await using var reader = await command.ExecuteReaderAsync();
        long total = 0;
        while (await reader.ReadAsync())
        {
            total += reader.GetInt64(1) + reader.GetString(2).Length + reader.GetString(3).Length + reader.GetFieldValue<DateTimeOffset>(4).Ticks % 2 + reader.GetString(5).Length;
        }
        return total;
    }

    [Benchmark]
    public async Task<int> History() => (await client.GetByteArrayAsync($"/api/v1/cases/{caseId}/history")).Length;

    [Benchmark]
    public async Task<int> AsOfLastVersion() => (await client.GetByteArrayAsync($"/api/v1/cases/{caseId}/as-of?version={Events}")).Length;

    /// <summary>For context: the history's own SQL and JSON writing, without HTTP, auth or the access log.</summary>
    [Benchmark]
    public async Task HistoryWithoutHttp()
    {
        using var scope = api.Services.CreateScope();
        var handler = new SafeguardingCases.Api.Features.History.Get.GetHistoryHandler(api.Services.GetRequiredService<NpgsqlDataSource>(),
            api.Services.GetRequiredService<IDocumentStore>(), scope.ServiceProvider.GetRequiredService<IQuerySession>(), NodaTime.SystemClock.Instance,
            api.Services.GetRequiredService<SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing>());
        var read = await handler.Handle(new(caseId, new SafeguardingCases.Domain.Cases.Actor("bench", "Bench", [SafeguardingCases.Domain.Cases.Roles.Auditor]), 1, null),
            CancellationToken.None);
        await using var history = read.View;
        await history!.WriteToAsync(Stream.Null, CancellationToken.None);
    }

    /// <summary>For context: a version in the middle replays half the stream.</summary>
    [Benchmark]
    public async Task<int> AsOfMiddleVersion() => (await client.GetByteArrayAsync($"/api/v1/cases/{caseId}/as-of?version={Events / 2}")).Length;

    private sealed class BenchmarkApi(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Benchmark");
            builder.UseSetting("ConnectionStrings:Marten", connectionString);
            builder.UseSetting("Auth:DevSigningKey", SigningKey);
            builder.UseSetting("Auth:AllowDevTokens", "true");
            builder.UseSetting("Database:ApplySchemaOnStartup", "true");
            builder.UseSetting("RateLimit:PermitsPerMinute", "0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }
}
