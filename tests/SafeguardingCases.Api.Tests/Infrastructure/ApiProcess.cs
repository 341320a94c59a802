using System.Diagnostics;
using System.Net;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// The API as a real process (the built <c>SafeguardingCases.Api.dll</c> under Kestrel), so a test can kill it
/// with SIGKILL mid-request and start it again, as an operator's crash would.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process process;

    private ApiProcess(Process process, Uri address, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        this.process = process;
        Address = address;
        Output = output;
    }

    public Uri Address { get; }

    /// <summary>Every line the process has written to stdout and stderr so far.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; }

    public static async Task<ApiProcess> StartAsync(string connectionString, int port, IDictionary<string, string>? settings = null)
    {
        var directory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "SafeguardingCases.Api.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ConnectionStrings__Marten"] = connectionString;
        start.Environment["Auth__DevSigningKey"] = ApiFactory.SigningKey;
        start.Environment["Auth__AllowDevTokens"] = "true";
        start.Environment["Database__ApplySchemaOnStartup"] = "true";
        start.Environment["RateLimit__PermitsPerMinute"] = "0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the API process");
        // Drain its output so it never blocks on a full pipe, and keep it for tests that read the logs.
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var api = new ApiProcess(process, new Uri($"http://127.0.0.1:{port}"), output);
        await api.WaitUntilReadyAsync();
        return api;
    }

    public HttpClient ClientAs(string subject, params string[] roles) => ClientAs(Address, subject, roles);

    /// <summary>A client of <paramref name="address"/> (an API process, or a proxy in front of some) with a token.</summary>
    public static HttpClient ClientAs(Uri address, string subject, params string[] roles)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var token = Api.Infrastructure.Auth.DevTokens.Mint(ApiFactory.SigningKey, subject, $"Test {subject}", roles, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL: no graceful shutdown, in-flight requests are cut off wherever they are.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The API process exited with {process.ExitCode} while starting");
            try
            {
                if ((await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The API process did not become ready within 60 s");
    }

    /// <summary>
    /// Runs the built API with these arguments and exactly this environment (besides the machine's) until it exits,
    /// as an operator runs its commands or sees a refused start: the exit code and everything it wrote.
    /// </summary>
    public static async Task<(int Exit, string Output, string Error)> RunToExitAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SafeguardingCases.Api.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the API process");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }


    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) await KillAsync();
        process.Dispose();
    }
}
