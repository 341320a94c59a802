namespace SafeguardingCases.Api.Infrastructure;

/// <summary>
/// <c>dotnet SafeguardingCases.Api.dll healthcheck [live|ready]</c>: asks the running API on this machine for its
/// health (exit 0 healthy, 1 not), for a container HEALTHCHECK in an image without a shell or curl.
/// The port is <c>HEALTHCHECK_PORT</c>, default 8080 (the image's).
/// </summary>
public static class HealthCheckCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var probe = args is ["live"] ? "live" : "ready";
        var port = Environment.GetEnvironmentVariable("HEALTHCHECK_PORT") is { Length: > 0 } p ? p : "8080";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{port}/health/{probe}"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
