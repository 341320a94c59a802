using System.Net.Http.Headers;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NodaTime;
using NodaTime.Testing;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// The real API in memory, over a database of its own on the run's PostgreSQL. One per test class, so test classes
/// never see each other's data. The clock is a <see cref="FakeClock"/> that tests can move.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string SigningKey = "test-signing-key-that-is-at-least-32-bytes-long";

    public FakeClock Clock { get; } = new(SystemClock.Instance.GetCurrentInstant(), Duration.FromMilliseconds(1));

    public string ConnectionString { get; protected set; } = "";

    protected virtual IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>();

    /// <summary>The hosting environment the API runs in.</summary>
    protected virtual string Environment => "Testing";

    public virtual async ValueTask InitializeAsync()
    {
        var server = await PostgresServer.GetAsync();
        ConnectionString = await server.CreateDatabaseAsync(GetType().Name);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseSetting("ConnectionStrings:Marten", ConnectionString);
        builder.UseSetting("Auth:DevSigningKey", SigningKey);
        builder.UseSetting("Auth:AllowDevTokens", "true");
        builder.UseSetting("Database:ApplySchemaOnStartup", "true");
        // Tests send many requests as one caller; the rate limit has tests of its own (EdgeTests).
        builder.UseSetting("RateLimit:PermitsPerMinute", "0");
        // Kept ledger trees fold two events a chunk (not 1,024), so the few events of a test still make proofs read
        // chunks back from PostgreSQL and check them, as a log of millions does.
        builder.UseSetting("Ledger:TreeChunk", "2");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in ExtraSettings) builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<IClock>();
            services.AddSingleton<IClock>(Clock);
        });
    }

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    /// <summary>An HTTP client carrying a development token for the given roles (none: anonymous).</summary>
    public HttpClient ClientFor(params string[] roles) => ClientAs(roles.Length == 0 ? "" : $"test-{string.Join('-', roles).ToLowerInvariant()}", roles);

    public HttpClient ClientAs(string subject, params string[] roles)
    {
        // Every response is checked against the committed OpenAPI document (see OpenApiContract).
        var client = CreateDefaultClient(new ContractValidatingHandler());
        if (roles.Length > 0)
        {
            var token = DevTokens.Mint(SigningKey, subject, $"Test {subject}", roles, TimeSpan.FromHours(1));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>The events stored for a case, straight from Marten.</summary>
    public async Task<IReadOnlyList<JasperFx.Events.IEvent>> EventsOf(Guid caseId)
    {
        await using var session = Store.QuerySession();
        return await session.Events.FetchStreamAsync(caseId);
    }

    /// <summary>How many events the whole store holds: a refused command must not change it.</summary>
    public async Task<long> EventCountAll()
    {
        // A test may count before the API has written anything, on a database whose tables nothing has created yet.
        await SafeguardingCases.Api.Infrastructure.Persistence.MartenSetup.EnsureTablesForRawReadsAsync(Store, CancellationToken.None);
        await using var connection = new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select count(*) from mt_events", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// The API with extra settings, over a new database, or over <paramref name="database"/> when given: a second instance
/// of one deployment, or the same deployment restarted with other settings.
/// </summary>
public sealed class ConfiguredApi(IDictionary<string, string?> settings, string? database = null) : ApiFactory
{
    protected override IDictionary<string, string?> ExtraSettings => settings;

    public override async ValueTask InitializeAsync()
    {
        if (database is null) await base.InitializeAsync();
        else ConnectionString = database;
    }
}
