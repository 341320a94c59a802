using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.HttpOverrides;
using SafeguardingCases.Api.Infrastructure.Configuration;

namespace SafeguardingCases.Api.Infrastructure.Http;

/// <summary>
/// What the HTTP edge does before a request reaches a route: ASP.NET Core's rate limiter, per caller, and an explicit
/// CORS policy (browsers' preflights are answered before authentication, so they never get 401).
/// </summary>
public static class EdgePolicies
{
    public const string CorsPolicy = "configured-origins";

    /// <summary>
    /// <c>RateLimit__PermitsPerMinute</c> (default 600, <c>0</c> turns it off): a token bucket per caller (the token's
    /// <c>sub</c>, or the client address for anonymous requests) holding a minute's permits and refilled every second (or one permit at a time below 60 a minute),
    /// so bursts are absorbed and a steady flood is held to the rate. Over it: 429 with <c>Retry-After</c>.
    /// Health probes are never limited.
    /// </summary>
    public static IServiceCollection AddSafeguardingEdge(this IServiceCollection services, IConfiguration configuration)
    {
        var permits = Settings.ReadPositiveLong(configuration, "RateLimit:PermitsPerMinute", allowZero: true) ?? 600;
        services.AddRateLimiter(options =>
        {
            if (permits > 0)
            {
                var perMinute = (int)Math.Min(permits, int.MaxValue);
                options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    http.Request.Path.StartsWithSegments("/health")
                        ? RateLimitPartition.GetNoLimiter("health")
                        : RateLimitPartition.GetTokenBucketLimiter(CallerOf(http), _ => new TokenBucketRateLimiterOptions
                        {
                            TokenLimit = perMinute,
                            TokensPerPeriod = Math.Max(1, perMinute / 60),
                            ReplenishmentPeriod = perMinute >= 60 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
                            QueueLimit = 0,
                            AutoReplenishment = true,
                        }));
            }
            options.OnRejected = async (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, Problems.Create(429, "Too many requests",
                    "This caller is sending requests faster than the API allows; wait for Retry-After seconds."));
            };
        });

        var origins = List(configuration, "Cors:AllowedOrigins");
        services.AddCors(options => options.AddPolicy(CorsPolicy, policy =>
        {
            // No origin is allowed unless configured: a browser app of another origin must be named.
            policy.WithOrigins(origins)
                .WithMethods("GET", "POST", "PUT", "DELETE")
                .WithHeaders("Authorization", "Content-Type", "If-Match", "Idempotency-Key", "traceparent")
                .WithExposedHeaders("ETag", "Location", "Retry-After")
                .SetPreflightMaxAge(TimeSpan.FromMinutes(10));
        }));
        return services;
    }

    /// <summary>The partition key: the caller's subject, or the client address when anonymous (never logged).</summary>
    private static string CallerOf(HttpContext http) =>
        http.User.FindFirst("sub")?.Value is { Length: > 0 } sub ? $"sub:{sub}" : $"ip:{http.Connection.RemoteIpAddress}";

    /// <summary>
    /// Transport: forwarded headers (<c>X-Forwarded-For</c>, <c>-Proto</c>) trusted from <c>Http__KnownProxies</c>
    /// (addresses) and <c>Http__KnownNetworks</c> (CIDR) only, none by default, so the rate limiter and the scheme are
    /// the proxy's word only when it is a known proxy; HSTS and HTTPS redirection when <c>Http__RequireHttps</c>.
    /// </summary>
    public static IServiceCollection AddSafeguardingTransport(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = List(configuration, "Http:KnownProxies").Select(p => IPAddress.TryParse(p, out var ip)
            ? ip : throw Settings.Invalid("Http:KnownProxies", p, "IP addresses separated by commas")).ToList();
        var networks = List(configuration, "Http:KnownNetworks").Select(n => System.Net.IPNetwork.TryParse(n, out var net)
            ? net : throw Settings.Invalid("Http:KnownNetworks", n, "CIDR networks such as 10.0.0.0/8, separated by commas")).ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // ASP.NET trusts loopback by default; here only what is configured.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies) o.KnownProxies.Add(proxy);
            foreach (var network in networks) o.KnownIPNetworks.Add(network);
        });
        var requireHttps = Settings.ReadBool(configuration, "Http:RequireHttps") ?? false;
        services.AddSingleton(new TransportOptions(requireHttps, proxies.Count + networks.Count > 0));
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
            // Required means required: no host is exempt (ASP.NET exempts localhost by default).
            o.ExcludedHosts.Clear();
        });
        services.AddHttpsRedirection(o =>
        {
            o.RedirectStatusCode = StatusCodes.Status308PermanentRedirect;
            o.HttpsPort = (int?)Settings.ReadPositiveLong(configuration, "Http:HttpsPort") ?? 443;
        });
        return services;
    }

    /// <summary>The transport middleware, first in the pipeline; and on every answer of the API, headers that keep case data out of caches and sniffers.</summary>
    public static WebApplication UseSafeguardingTransport(this WebApplication app)
    {
        var transport = app.Services.GetRequiredService<TransportOptions>();
        if (transport.TrustsProxies) app.UseForwardedHeaders();
        if (transport.RequireHttps)
        {
            app.UseHsts();
            // Health probes come from the orchestrator straight to the pod, and the console's calls to /api/v1 from this
            // process over loopback, plain HTTP that never crosses a network: neither is redirected.
            app.UseWhen(http => !http.Request.Path.StartsWithSegments("/health") && !Web.ConsoleSetup.IsDirectLocalCall(http),
                branch => branch.UseHttpsRedirection());
        }
        app.Use((http, next) =>
        {
            http.Response.OnStarting(static state =>
            {
                var response = ((HttpContext)state).Response;
                response.Headers.XContentTypeOptions = "nosniff";
                var path = response.HttpContext.Request.Path;
                if (path.StartsWithSegments("/api")) response.Headers.CacheControl = "no-store";
                else if (Web.ConsoleSetup.IsConsolePath(path))
                {
                    // The staff console's pages show case data: never cached, never framed, no script of any origin.
                    response.Headers.CacheControl = "no-store";
                    response.Headers.ContentSecurityPolicy = response.HttpContext.RequestServices.GetRequiredService<Web.Session.ConsoleOptions>().ContentSecurityPolicy;
                    response.Headers.XFrameOptions = "DENY";
                    response.Headers["Referrer-Policy"] = "no-referrer";
                }
                return Task.CompletedTask;
            }, http);
            return next(http);
        });
        return app;
    }

    private static string[] List(IConfiguration configuration, string key) =>
        configuration.GetSection(key).Get<string[]>()
        ?? configuration[key]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        ?? [];
}

/// <summary>Whether HTTPS is required (HSTS, redirection) and whether any proxy's forwarded headers are trusted.</summary>
public sealed record TransportOptions(bool RequireHttps, bool TrustsProxies);
