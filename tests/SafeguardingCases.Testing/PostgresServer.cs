using System.Diagnostics;
using Npgsql;
using Testcontainers.PostgreSql;

namespace SafeguardingCases.Testing;

/// <summary>
/// One PostgreSQL per test run, chosen in this order: SAFEGUARDING_TEST_DB (a connection string), Testcontainers
/// when a Docker engine answers, a throwaway local cluster (initdb/pg_ctl) in a temp folder, stopped at the end.
/// Each test class gets a database of its own on it.
/// </summary>
public sealed class PostgresServer
{
    public const string EnvironmentVariable = "SAFEGUARDING_TEST_DB";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? current;

    private PostgreSqlContainer? container;
    private LocalCluster? cluster;

    /// <summary>The admin connection string of the server this run uses.</summary>
    public string AdminConnectionString { get; private set; } = "";

    /// <summary>Which of the three was used, for the test log.</summary>
    public string Source { get; private set; } = "";

    public static async Task<PostgresServer> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (current is not null) return current;
            var server = new PostgresServer();
            await server.StartAsync();
            current = server;
            return server;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Stops what this run started (the container or the local cluster); a given connection string is left alone.</summary>
    public static async Task StopAsync()
    {
        var server = current;
        current = null;
        if (server is null) return;
        if (server.container is not null) await server.container.DisposeAsync();
        server.cluster?.Dispose();
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)].ToLowerInvariant();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 40 }.ConnectionString;
    }

    private async Task StartAsync()
    {
        var tried = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            AdminConnectionString = fromEnvironment;
            Source = $"{EnvironmentVariable}";
            return;
        }
        tried.Add($"{EnvironmentVariable}: not set");

        if (DockerEngineMayAnswer())
        {
            try
            {
                container = new PostgreSqlBuilder("postgres:15-alpine").Build();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                await container.StartAsync(timeout.Token);
                AdminConnectionString = container.GetConnectionString();
                Source = "Testcontainers";
                return;
            }
            catch (Exception e)
            {
                tried.Add($"Testcontainers: {e.GetType().Name}: {e.Message}");
                container = null;
            }
        }
        else
        {
            tried.Add("Testcontainers: no Docker engine (no DOCKER_HOST and no /var/run/docker.sock)");
        }

        try
        {
            cluster = await LocalCluster.StartAsync();
            AdminConnectionString = cluster.ConnectionString;
            Source = $"local cluster in {cluster.DataDirectory}";
            return;
        }
        catch (Exception e)
        {
            tried.Add($"local cluster: {e.Message}");
        }

        throw new InvalidOperationException(
            "No PostgreSQL for the integration tests. Tried, in order:\n  - " + string.Join("\n  - ", tried) +
            "\nChoose one: set SAFEGUARDING_TEST_DB to a connection string; or run a Docker engine (Testcontainers); " +
            "or install PostgreSQL's server binaries (deploy/local-postgres.sh ensure-binaries) for a throwaway local cluster.");
    }

    private static bool DockerEngineMayAnswer() =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");
}

/// <summary>A throwaway PostgreSQL cluster: initdb in a temp folder, a free port on 127.0.0.1, stopped and deleted on dispose.</summary>
public sealed class LocalCluster : IDisposable
{
    private readonly string binDirectory;
    private readonly bool asPostgresUser;
    private string durability = "";

    private LocalCluster(string binDirectory, string dataDirectory, int port, bool asPostgresUser)
    {
        this.binDirectory = binDirectory;
        DataDirectory = dataDirectory;
        Port = port;
        this.asPostgresUser = asPostgresUser;
    }

    public string DataDirectory { get; }
    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Include Error Detail=true";

    /// <summary>
    /// Starts a cluster. A <paramref name="durable"/> one commits as production does (fsync and synchronous commit
    /// on), for crash tests: an acknowledged commit must survive <see cref="CrashAsync"/>. Otherwise durability is
    /// traded for speed, as a test database can afford.
    /// </summary>
    public static async Task<LocalCluster> StartAsync(bool durable = false)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or in /usr/lib/postgresql/*/bin");
        var root = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root" || IsRoot();
        var data = Path.Combine(Path.GetTempPath(), $"sgc-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        if (root) await RunAsync("chown", ["postgres", data], asPostgres: false);
        var port = Loopback.FreePort();
        var cluster = new LocalCluster(bin, data, port, root) { durability = durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" };
        await cluster.PgAsync("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
        await cluster.PgAsync("pg_ctl", ["-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60", "-o",
            $"-p {port} -c listen_addresses=127.0.0.1 -k {data}{cluster.durability} -c max_connections=400",
            "start"]);
        return cluster;
    }

    /// <summary>Crashes the server as a power cut would: <c>pg_ctl stop -m immediate</c> (no checkpoint, no clean shutdown).</summary>
    public Task CrashAsync() => PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);

    /// <summary>Starts the server again on the same port; it recovers from its write-ahead log.</summary>
    public Task RestartAsync() => PgAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-w", "-t", "60", "-o",
        $"-p {Port} -c listen_addresses=127.0.0.1 -k {DataDirectory}{durability} -c max_connections=400", "start"]);

    public void Dispose()
    {
        try
        {
            PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private Task PgAsync(string tool, string[] args) => RunAsync(Path.Combine(binDirectory, tool), args, asPostgresUser);

    private static async Task RunAsync(string file, string[] args, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static string? FindBinaries()
    {
        var candidates = new List<string>();
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = Path.Combine(dir, "pg_ctl");
            if (File.Exists(pgCtl)) candidates.Add(Path.GetDirectoryName(new FileInfo(pgCtl).ResolveLinkTarget(true)?.FullName ?? pgCtl)!);
        }
        if (Directory.Exists("/usr/lib/postgresql"))
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "bin")));
        return candidates.FirstOrDefault(d => new[] { "initdb", "pg_ctl", "postgres" }.All(t => File.Exists(Path.Combine(d, t))));
    }

    private static bool IsRoot()
    {
        try { return File.ReadAllText("/proc/self/status").Split('\n').First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"; }
        catch (IOException) { return false; }
    }

}
