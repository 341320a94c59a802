using System.Diagnostics;
using System.Net;
using Microsoft.Playwright;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// The API with its staff console as a real process on a free port (Development, so sign-in is the development
/// sign-in page; its own database on the tests' PostgreSQL), and Debian's Chromium driven by Playwright. One of each for
/// the whole collection: the journeys run one after another in their own browser contexts.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    private Process? api;
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = default!;
    public Uri Address { get; private set; } = default!;
    public string ConnectionString { get; private set; } = "";
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    /// <summary>Where the journeys save their screenshots: the README's folder when asked to update it, else a temp folder.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("SAFEGUARDING_UPDATE_SCREENSHOTS") == "1"
        ? Path.Combine(Repository.Root, "docs", "console")
        : Directory.CreateTempSubdirectory("console-screenshots-").FullName;

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await DatabaseAsync("console");
        // Any obligation due within two days counts as due soon, and deadlines are looked at every half second, so a
        // journey sees an alert as soon as it creates an obligation (AlertJourneys).
        (api, Address) = await StartApiAsync(ConnectionString, Output, new Dictionary<string, string>
        {
            ["Notifications__DueSoon"] = "P2D",
            ["Notifications__SweepInterval"] = "PT0.5S",
            // An adult's closed case is due for review a second after closing (RetentionJourneys destroys one).
            ["Retention__Schedule__Other"] = "PT1S",
        });

        // An expectation waits up to 15 s, not Playwright's 5: a page post on this 2-core machine shares it with the API
        // process, PostgreSQL, Chromium and the sweeps, and a journey that failed once in a while timed out here. A page
        // that is right still passes as soon as it shows; one that is wrong still fails.
        Assertions.SetDefaultExpectTimeout(15_000);
        (playwright, Browser) = await LaunchChromiumAsync();
    }

    /// <summary>Debian's Chromium, driven by Playwright (which never downloads a browser here).</summary>
    public static async Task<(IPlaywright, IBrowser)> LaunchChromiumAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        return (playwright, browser);
    }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    /// <summary>As the machine's probe found: no sandbox as root, and no background networking on a closed network.</summary>
    public static readonly string[] ChromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    // The run's PostgreSQL (a throwaway cluster when it started one) is shared by both collections and stopped with
    // the last of their fixtures.
    private static int postgresUsers;

    /// <summary>A database of its own on the run's PostgreSQL, which stays up until <see cref="ReleasePostgresAsync"/> is called as often.</summary>
    public static async Task<string> DatabaseAsync(string prefix)
    {
        Interlocked.Increment(ref postgresUsers);
        return await (await PostgresServer.GetAsync()).CreateDatabaseAsync(prefix);
    }

    public static async Task ReleasePostgresAsync()
    {
        if (Interlocked.Decrement(ref postgresUsers) == 0) await PostgresServer.StopAsync();
    }

    /// <summary>Starts the built API (with its console) as a process in Development on a free loopback port.</summary>
    public static async Task<(Process Process, Uri Address)> StartApiAsync(string connectionString,
        System.Collections.Concurrent.ConcurrentQueue<string> output, IDictionary<string, string>? settings = null, string readyPath = "/health/ready")
    {
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SafeguardingCases.Api.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ConnectionStrings__Marten"] = connectionString;
        start.Environment["RateLimit__PermitsPerMinute"] = "0";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the API");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}");
        await WaitUntilReadyAsync(process, address, output, readyPath);
        return (process, address);
    }

    /// <summary>A fresh browser context (its own cookies) with a page on the console.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new() { BaseURL = Address.ToString(), Locale = "en-GB", ViewportSize = new() { Width = 1280, Height = 900 } });
        return await context.NewPageAsync();
    }

    /// <summary>axe-core's own script, as Deque's package bundles it.</summary>
    private static readonly string AxeSource = new Deque.AxeCore.Commons.BundledAxeScriptProvider().GetScript();

    /// <summary>
    /// Until the page's document has loaded (its stylesheet applied), asked of the document itself: Playwright's own
    /// record of the "load" event once missed it on a page reached through a form's redirect on a loaded machine, and
    /// waited out its 30 s (CI, 9f30206).
    /// </summary>
    public static Task LoadedAsync(IPage page) => page.WaitForFunctionAsync("() => document.readyState === 'complete'");

    /// <summary>
    /// axe-core on the page as it stands: no serious or critical violation of WCAG 2.x A/AA. axe runs in the page itself
    /// (<c>axe.run</c>, as Deque's own "legacy" mode does): the package's <c>RunAxe</c> opens a second, blank page to
    /// merge each frame's results, which took two to four seconds a check here, most of the console journeys' time,
    /// for pages that have no frames to merge.
    /// </summary>
    public static async Task ShouldBeAccessibleAsync(IPage page)
    {
        // As a person sees it: laid out with its stylesheet (target sizes, contrast), not a page still loading after a
        // form's redirect, whose bare links axe would rightly call too small.
        await LoadedAsync(page);
        await page.EvaluateAsync($"() => {{ {AxeSource} }}");
        var results = await page.EvaluateAsync<System.Text.Json.JsonElement>(
            "tags => axe.run(document, { runOnly: { type: 'tag', values: tags } })", new[] { "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa" });
        var bad = results.GetProperty("violations").EnumerateArray()
            .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
            .Select(v => $"{v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}): {v.GetProperty("help").GetString()} at " +
                string.Join("; ", v.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("html").GetString())))
            .ToList();
        bad.ShouldBeEmpty($"axe on {page.Url}");
    }

    /// <summary>A client of an API (the console's own, or one a test started) with a development token (the key in appsettings.Development.json).</summary>
    public static HttpClient ApiClient(Uri address, string subject, string role)
    {
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json")))!;
        var token = SafeguardingCases.Api.Infrastructure.Auth.DevTokens.Mint(settings["Auth"]!["DevSigningKey"]!.GetValue<string>(), subject, subject,
            [role], TimeSpan.FromMinutes(10));
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = fullPage });

    /// <summary>Until the API answers /health/ready with 200 (its database reachable; or another path), for at most a minute.</summary>
    public static async Task WaitUntilReadyAsync(Process api, Uri address, System.Collections.Concurrent.ConcurrentQueue<string> output, string readyPath = "/health/ready")
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (api.HasExited) throw new InvalidOperationException($"The API exited with {api.ExitCode}: {string.Join('\n', output)}");
            try
            {
                if ((await client.GetAsync(readyPath)).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The API did not become ready within 60 s");
    }


    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
        if (api is { HasExited: false }) api.Kill(entireProcessTree: true);
        api?.Dispose();
        await ReleasePostgresAsync();
    }
}

/// <summary>
/// Chromium and a database for the journeys that start API processes of their own (another identity provider, two
/// instances behind a proxy, PostgreSQL stopped under one): they run beside the console collection's journeys, which
/// mostly wait on the browser, instead of after them.
/// </summary>
public sealed class OwnApiFixture : IAsyncLifetime
{
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = default!;
    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await ConsoleFixture.DatabaseAsync("ownapi");
        Assertions.SetDefaultExpectTimeout(15_000);
        (playwright, Browser) = await ConsoleFixture.LaunchChromiumAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        playwright?.Dispose();
        await ConsoleFixture.ReleasePostgresAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class OwnApiCollection : ICollectionFixture<OwnApiFixture>
{
    public const string Name = "Console journeys with API processes of their own";
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "Console in Chromium";
}
