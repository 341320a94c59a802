using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Web.Session;

namespace SafeguardingCases.Api.Infrastructure.Auth;

/// <summary>The <c>Auth</c> configuration section (DESIGN.md configuration contract).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";
    public const string DevIssuer = "safeguarding-dev";
    public const string DevAudience = "safeguarding-api";

    public string? Authority { get; set; }
    public string? Audience { get; set; }
    public string? DevSigningKey { get; set; }

    /// <summary>Outside Development, <see cref="DevSigningKey"/> is accepted only when this is set to true explicitly.</summary>
    public bool AllowDevTokens { get; set; }

    /// <summary>
    /// The claim the identity provider puts roles in: <c>role</c> (the default, and always for development tokens), or,
    /// say, <c>roles</c>, where Microsoft Entra ID puts app roles. One name at the top level of the token.
    /// </summary>
    public string RoleClaim { get; set; } = ProviderClaims.Role;

    /// <summary>
    /// The claim that names someone: <c>sub</c> (the default, and always for development tokens), or <c>oid</c> for
    /// Microsoft Entra ID, whose <c>sub</c> differs between the console's ID token and the API's access token.
    /// </summary>
    public string SubjectClaim { get; set; } = ProviderClaims.Subject;

    /// <summary>Reads the section; a value that cannot be read stops start-up with one line naming the key.</summary>
    public static AuthOptions Bind(IConfiguration configuration) => new()
    {
        Authority = configuration[$"{SectionName}:{nameof(Authority)}"],
        Audience = configuration[$"{SectionName}:{nameof(Audience)}"],
        DevSigningKey = configuration[$"{SectionName}:{nameof(DevSigningKey)}"],
        AllowDevTokens = Settings.ReadBool(configuration, $"{SectionName}:{nameof(AllowDevTokens)}") ?? false,
        RoleClaim = ProviderClaims.RoleClaimIn(configuration),
        SubjectClaim = ProviderClaims.SubjectClaimIn(configuration),
    };

    /// <summary>The signature algorithms accepted from an OpenID Connect provider: asymmetric ones only.</summary>
    public static readonly string[] OidcAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>The development key committed in appsettings.Development.json: anyone can mint tokens with it.</summary>
    public const string CommittedDevelopmentKey = "development-only-signing-key-not-for-production-use";
}

/// <summary>JWT bearer authentication (dev HS256 or OpenID Connect) and one authorization policy per role; deny by default.</summary>
public static class AuthSetup
{
    public static IServiceCollection AddSafeguardingAuth(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        var auth = AuthOptions.Bind(configuration);
        Validate(auth, environment);

        var devTokens = !string.IsNullOrWhiteSpace(auth.DevSigningKey);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            // An authority's discovery document and keys come over HTTPS, except in Development (a provider run on
            // the developer's machine over plain HTTP, as the tests' own provider is).
            o.RequireHttpsMetadata = !environment.IsDevelopment();
            // Why a token failed stays in the server's log, never in WWW-Authenticate: it would coach a forger.
            o.IncludeErrorDetails = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                NameClaimType = "name",
                RoleClaimType = auth.RoleClaim,
                ValidateLifetime = true,
                ClockSkew = TimeSpan.FromMinutes(1),
                // Only the algorithm the keys are for: HS256 for development tokens, the provider's asymmetric ones
                // otherwise; never "none", and never an HMAC keyed with a public key.
                ValidAlgorithms = devTokens ? [SecurityAlgorithms.HmacSha256] : AuthOptions.OidcAlgorithms,
            };
            o.Events = new JwtBearerEvents
            {
                // Every event records who acted: a token that does not say who its bearer is gets 401.
                OnTokenValidated = context =>
                {
                    if (context.Principal?.Identity is ClaimsIdentity identity) ProviderClaims.UseAsSubject(identity, auth.SubjectClaim);
                    if (string.IsNullOrWhiteSpace(context.Principal?.FindFirst("sub")?.Value)) context.Fail($"The token has no '{auth.SubjectClaim}' claim.");
                    else if (devTokens && !DevTokens.LifetimeAllowed(context.SecurityToken))
                        context.Fail($"A development token lives at most {DevTokens.MaxLifetime.TotalHours} hours.");
                    return Task.CompletedTask;
                },
            };
            if (devTokens)
            {
                o.TokenValidationParameters.ValidIssuer = AuthOptions.DevIssuer;
                o.TokenValidationParameters.ValidAudience = AuthOptions.DevAudience;
                o.TokenValidationParameters.IssuerSigningKey = DevTokens.SigningKey(auth.DevSigningKey!);
            }
            else
            {
                o.Authority = auth.Authority;
                o.Audience = auth.Audience;
                o.TokenValidationParameters.ValidAudience = auth.Audience;
                // A provider that does not answer holds a request 10 s at most, not the default minute; while its keys
                // were never read, they are asked for again after a back-off of at most 30 s (the default 5 minutes
                // kept every token refused for that long after the provider came back).
                o.BackchannelTimeout = TimeSpan.FromSeconds(10);
                o.RefreshInterval = TimeSpan.FromSeconds(30);
                o.Events.OnChallenge = ProviderUnavailableAsync;
            }
        });

        services.AddAuthorization(o =>
        {
            foreach (var role in Roles.All) o.AddPolicy(role, p => p.RequireAuthenticatedUser().RequireRole(role));
            // Deny by default: anything not marked anonymous needs an authenticated caller.
            o.FallbackPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        });
        return services;
    }

    /// <summary>
    /// A token refused while the provider's discovery document and keys cannot be read (never read since start-up: the
    /// provider was down then) was never checked: 503 with <c>Retry-After</c>, not a 401 that tells the client to sign
    /// in again (the console would sign its user out). Once read, the keys are kept through an outage.
    /// </summary>
    private static async Task ProviderUnavailableAsync(JwtBearerChallengeContext context)
    {
        if (context.AuthenticateFailure is null || context.Options.ConfigurationManager is not { } provider) return;
        try
        {
            await provider.GetConfigurationAsync(context.HttpContext.RequestAborted);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthSetup))
                .LogWarning("A token could not be checked: the identity provider's keys could not be read ({Failure})", e.GetType().Name);
        }
        context.HandleResponse();
        await Problems.WriteAsync(context.HttpContext, Problems.Create(StatusCodes.Status503ServiceUnavailable, "Identity provider unavailable",
            "The identity provider's signing keys could not be read, so the token could not be checked; try again shortly."));
    }

    /// <summary>
    /// Exactly one of DevSigningKey or Authority+Audience; outside Development, refuse to start otherwise, and refuse the
    /// committed development key, and any development key unless <c>Auth__AllowDevTokens=true</c>.
    /// </summary>
    public static void Validate(AuthOptions auth, IHostEnvironment environment)
    {
        var dev = !string.IsNullOrWhiteSpace(auth.DevSigningKey);
        var oidc = !string.IsNullOrWhiteSpace(auth.Authority) || !string.IsNullOrWhiteSpace(auth.Audience);
        if (dev && oidc)
            throw new StartupRefusedException("Auth__DevSigningKey must never be set together with Auth__Authority/Auth__Audience: choose one.");
        if (dev && Encoding.UTF8.GetByteCount(auth.DevSigningKey!) < 32)
            throw new StartupRefusedException("Auth__DevSigningKey must be at least 32 bytes.");
        if (oidc && (string.IsNullOrWhiteSpace(auth.Authority) || string.IsNullOrWhiteSpace(auth.Audience)))
            throw new StartupRefusedException("Auth__Authority and Auth__Audience go together: set both.");
        foreach (var (key, claim, standard) in new[] { ("Auth__RoleClaim", auth.RoleClaim, ProviderClaims.Role), ("Auth__SubjectClaim", auth.SubjectClaim, ProviderClaims.Subject) })
        {
            if (!ProviderClaims.IsClaimName(claim))
                throw new StartupRefusedException($"{key} is not a claim name: one name of letters, digits and _ - . : /, as the token carries it.");
            if (dev && claim != standard)
                throw new StartupRefusedException($"{key} names the identity provider's claim; development tokens always carry '{standard}': unset it with Auth__DevSigningKey.");
        }
        if (!dev && !oidc && !environment.IsDevelopment())
            throw new StartupRefusedException("No authentication configured: set Auth__Authority and Auth__Audience (production) or Auth__DevSigningKey (development and tests).");
        // Outside Development, development tokens are an explicit choice, and never with the key everyone can read.
        if (dev && !environment.IsDevelopment())
        {
            if (string.Equals(auth.DevSigningKey, AuthOptions.CommittedDevelopmentKey, StringComparison.Ordinal))
                throw new StartupRefusedException("Auth__DevSigningKey is the development key committed in this repository: it is refused outside Development.");
            if (!auth.AllowDevTokens)
                throw new StartupRefusedException("Auth__DevSigningKey is set outside Development: set Auth__AllowDevTokens=true to accept development tokens, or use Auth__Authority and Auth__Audience.");
        }
    }

    /// <summary>The acting user from a validated token: <c>sub</c>, <c>name</c> and every role (in <c>Auth__RoleClaim</c>).</summary>
    public static Actor ToActor(this ClaimsPrincipal user)
    {
        var sub = user.FindFirst("sub")?.Value ?? throw new InvalidOperationException("The token has no 'sub' claim.");
        var name = user.FindFirst("name")?.Value ?? sub;
        return new Actor(sub, name, [.. RolesOf(user).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Every role a validated token carries, from the claim its identity reads roles from (<c>Auth__RoleClaim</c>).</summary>
    public static IEnumerable<string> RolesOf(ClaimsPrincipal user) =>
        user.Identities.SelectMany(i => i.FindAll(i.RoleClaimType)).Select(c => c.Value).Distinct(StringComparer.Ordinal);
}

/// <summary>Mints development tokens (HS256, issuer <c>safeguarding-dev</c>, audience <c>safeguarding-api</c>).</summary>
public static class DevTokens
{
    /// <summary>The longest a development token may live, from when it was issued to when it expires.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromHours(12);

    /// <summary>Whether a token says when it was issued (or from when it is valid) and expires at most <see cref="MaxLifetime"/> later.</summary>
    public static bool LifetimeAllowed(SecurityToken token)
    {
        if (token is not JsonWebToken jwt || jwt.ValidTo == DateTime.MinValue) return false;
        var from = jwt.IssuedAt != DateTime.MinValue ? jwt.IssuedAt : jwt.ValidFrom;
        return from != DateTime.MinValue && jwt.ValidTo - from <= MaxLifetime;
    }

    public static SymmetricSecurityKey SigningKey(string key) => new(Encoding.UTF8.GetBytes(key));

    public static string Mint(string signingKey, string subject, string name, IEnumerable<string> roles, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetime, MaxLifetime);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = subject,
            ["name"] = name,
            ["role"] = roles.ToArray(),
        };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = AuthOptions.DevIssuer,
            Audience = AuthOptions.DevAudience,
            Claims = claims,
            IssuedAt = DateTime.UtcNow,
            NotBefore = DateTime.UtcNow.AddMinutes(-1),
            Expires = DateTime.UtcNow.Add(lifetime),
            SigningCredentials = new SigningCredentials(SigningKey(signingKey), SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
