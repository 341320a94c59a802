using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SafeguardingCases.Testing;

/// <summary>
/// Debian's nginx running <c>deploy/nginx/route-by-case.conf</c> in front of some instances: each case's requests to
/// one instance, by its id. For the routing tests and <c>write --two --routed</c>. Stopped (with its worker) on dispose.
/// </summary>
public sealed class CaseRouter : IAsyncDisposable
{
    private readonly Process process;
    private readonly DirectoryInfo prefix;
    private readonly string[] arguments;

    private CaseRouter(Process process, DirectoryInfo prefix, string[] arguments, Uri address)
    {
        this.process = process;
        this.prefix = prefix;
        this.arguments = arguments;
        Address = address;
    }

    /// <summary>Where clients send requests.</summary>
    public Uri Address { get; }

    /// <summary>The nginx binary (<c>deploy/ensure-nginx.sh</c> installs it), or null when there is none.</summary>
    public static string? Nginx { get; } = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists);

    public static async Task<CaseRouter> StartAsync(IEnumerable<Uri> instances)
    {
        var nginx = Nginx ?? throw new InvalidOperationException("nginx is not installed: run deploy/ensure-nginx.sh.");
        var prefix = Directory.CreateTempSubdirectory("case-router-");
        // nginx started by root runs its worker as nobody, which must be able to reach its temp folders.
        foreach (var temp in new[] { "client_body", "proxy" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(prefix.FullName, temp)).FullName;
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        }
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(prefix.FullName, (UnixFileMode)0b111_101_101);
        var port = Loopback.FreePort();
        var servers = string.Join(' ', instances.Select(i => $"server {i.Host}:{i.Port};"));
        var config = File.ReadAllText(Path.Combine(Repository.Root, "deploy", "nginx", "route-by-case.conf"))
            .Replace("@LISTEN@", $"127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("@SERVERS@", servers, StringComparison.Ordinal)
            .Replace("@PREFIX@", prefix.FullName, StringComparison.Ordinal);
        var configFile = Path.Combine(prefix.FullName, "nginx.conf");
        File.WriteAllText(configFile, config);

        string[] arguments = ["-p", prefix.FullName, "-e", Path.Combine(prefix.FullName, "error.log"), "-c", configFile];
        var process = Run(nginx, arguments);
        var router = new CaseRouter(process, prefix, arguments, new Uri($"http://127.0.0.1:{port}"));
        for (var i = 0; i < 200; i++)
        {
            if (process.HasExited)
            {
                var log = File.Exists(Path.Combine(prefix.FullName, "error.log")) ? File.ReadAllText(Path.Combine(prefix.FullName, "error.log")) : "";
                await router.DisposeAsync();
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {log}");
            }
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return router;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        await router.DisposeAsync();
        throw new TimeoutException("nginx did not start listening");
    }

    /// <summary>How many lines nginx's error log holds that name an upstream (an instance it could not use).</summary>
    public int UpstreamErrors()
    {
        var log = Path.Combine(prefix.FullName, "error.log");
        return File.Exists(log) ? File.ReadLines(log).Count(l => l.Contains("upstream", StringComparison.Ordinal)) : 0;
    }

    /// <summary>CPU time of nginx's master and worker.</summary>
    public TimeSpan CpuTime()
    {
        var total = TimeSpan.Zero;
        foreach (var p in Process.GetProcessesByName("nginx"))
        {
            using (p)
            {
                try
                {
                    if (p.Id == process.Id || ParentOf(p.Id) == process.Id) total += p.TotalProcessorTime;
                }
                catch (InvalidOperationException)
                {
                }
            }
        }
        return total;
    }

    public async ValueTask DisposeAsync()
    {
        // "nginx -s stop" lets the master stop its worker and exit; killed only if it has not within five seconds.
        if (!process.HasExited)
        {
            using var stop = Run(Nginx!, [.. arguments, "-s", "stop"]);
            await stop.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        await process.WaitForExitAsync();
        process.Dispose();
        try
        {
            prefix.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static Process Run(string nginx, string[] arguments)
    {
        var start = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

}
