using System.Globalization;
using System.Threading.RateLimiting;
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

        var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>()
                      ?? configuration["Cors:AllowedOrigins"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                      ?? [];
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
}
