using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// Signing in to the console: a cookie of the console's own (<see cref="Scheme"/>) whose ticket, with the person's
/// access token, is kept on the server (the host's <see cref="Microsoft.AspNetCore.Authentication.Cookies.ITicketStore"/>: the API keeps it in PostgreSQL); the browser holds only the session's key.
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = "StaffConsole";
    public const string OidcScheme = "StaffConsoleOidc";
    public const string AccessToken = "access_token";

    /// <summary>The four roles, as the API names them.</summary>
    public static readonly IReadOnlyList<string> Roles = ["SafeguardingOfficer", "Clinician", "SafeguardingLead", "Auditor"];

    /// <summary>
    /// Development sign-in: the same HS256 token <c>deploy/dev-token.sh</c> mints (issuer <c>safeguarding-dev</c>,
    /// audience <c>safeguarding-api</c>, eight hours), for a subject made from the name (<c>Officer One</c> → <c>officer-one</c>).
    /// </summary>
    public static async Task SignInWithDevTokenAsync(HttpContext http, string signingKey, string name, string role)
    {
        var subject = SubjectOf(name);
        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "safeguarding-dev",
            Audience = "safeguarding-api",
            Claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = name, ["role"] = new[] { role } },
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddHours(8),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
        var identity = new ClaimsIdentity([new Claim("sub", subject), new Claim("name", name), new Claim("role", role)], Scheme, "name", "role");
        var properties = new AuthenticationProperties { IsPersistent = false };
        properties.StoreTokens([new AuthenticationToken { Name = AccessToken, Value = token }]);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), properties);
    }

    /// <summary>The subject a development sign-in gets: the name in lower case, words joined by dashes.</summary>
    public static string SubjectOf(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c)) text.Append(c);
            else if (text.Length > 0 && text[^1] != '-') text.Append('-');
        }
        return text.ToString().Trim('-') is { Length: > 0 } subject ? subject : "staff";
    }

    public static async Task SignOutAsync(HttpContext http) => await http.SignOutAsync(Scheme);

    /// <summary>Production sign-in: authorization code with PKCE; the tokens go into the server-side ticket, never the browser.</summary>
    /// <param name="requireHttpsMetadata">False in Development only: a provider on the developer's machine over plain HTTP.</param>
    public static void AddOpenIdConnect(AuthenticationBuilder authentication, OpenIdConnectSettings settings, bool requireHttpsMetadata) =>
        authentication.AddOpenIdConnect(OidcScheme, o =>
        {
            o.RequireHttpsMetadata = requireHttpsMetadata;
            o.SignInScheme = Scheme;
            o.Authority = settings.Authority;
            o.ClientId = settings.ClientId;
            o.ClientSecret = settings.ClientSecret;
            o.ResponseType = "code";
            // The provider sends the person back with a GET (the code in the query), not the handler's default form_post:
            // a cross-site POST goes without SameSite=Lax cookies, the load balancer's affinity cookie among them, so
            // behind several instances the way back reached any of them, and one that had not begun the sign-in could
            // not read its correlation cookie ("did not complete"; the journey behind nginx in OpenIdConnectJourneys).
            // With PKCE the code is of no use to anyone who reads it from the address.
            o.ResponseMode = Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectResponseMode.Query;
            o.UsePkce = true;
            o.SaveTokens = true;
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "name";
            o.TokenValidationParameters.RoleClaimType = settings.RoleClaim;
            // As the API's bearer tokens: a provider that does not answer holds Sign in 10 s at most, and one that was
            // down is asked again after at most 30 s, not the default 5 minutes.
            o.BackchannelTimeout = TimeSpan.FromSeconds(10);
            o.RefreshInterval = TimeSpan.FromSeconds(30);
            o.Scope.Clear();
            foreach (var scope in BaseScopes.Concat(settings.Scopes)) o.Scope.Add(scope);
            // The way back from the provider failed: the person cancelled there (access_denied), took longer than the
            // correlation cookie lives, came back in another browser, or someone sent the callback by hand. The sign-in
            // page says so and offers Sign in again, where the handler's default was an unhandled exception: a 500.
            o.Events.OnAccessDenied = context =>
            {
                SignInFailed(context.HttpContext, "access_denied");
                context.HandleResponse();
                return Task.CompletedTask;
            };
            // Someone the provider signs in without the claim that names them (Auth__SubjectClaim: nothing they did could
            // be recorded as theirs), or with none of this service's roles (not given one, or given it in a claim other
            // than Auth__RoleClaim): no console session, and the sign-in page says so. The log names the claims the token
            // carried (their types, never their values), which is what an operator needs to fix the set-up: a warning, as
            // it is the provider's set-up or someone's access that needs seeing to.
            o.Events.OnTokenValidated = context =>
            {
                if (context.Principal is not { Identity: ClaimsIdentity identity } principal) return Task.CompletedTask;
                ProviderClaims.UseAsSubject(identity, settings.SubjectClaim);
                // The claim types the token carried, for the warnings below only.
                string Carried() => string.Join(", ", principal.Claims.Select(c => c.Type).Distinct(StringComparer.Ordinal).Where(ProviderClaims.IsClaimName));
                string to;
                if (Subject(principal) is null)
                {
                    Logger(context.HttpContext).LogWarning("Signed in at the identity provider without the '{Claim}' claim that names someone (Auth__SubjectClaim); the ID token carried {Claims}",
                        settings.SubjectClaim, Carried());
                    to = SignInDidNotComplete;
                }
                else if (Role(principal) is null)
                {
                    Logger(context.HttpContext).LogWarning("Signed in at the identity provider with no role in this service: roles are read from the '{Claim}' claim (Auth__RoleClaim); the ID token carried {Claims}",
                        settings.RoleClaim, Carried());
                    to = SignedInWithNoRole;
                }
                else return Task.CompletedTask;
                context.HandleResponse();
                context.Response.Redirect(to);
                return Task.CompletedTask;
            };
            o.Events.OnRemoteFailure = context =>
            {
                // The provider's error code (OpenID Connect's error) or what failed here; never its free-text
                // description, which a provider may fill with anything.
                SignInFailed(context.HttpContext, context.Failure?.Data["error"] is string error && error.Length <= 40 && error.All(c => char.IsAsciiLetterLower(c) || c == '_')
                    ? error : context.Failure?.GetType().Name ?? "unknown");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });

    /// <summary>Where the way back from a failed sign-in at the provider ends: the sign-in page, saying so.</summary>
    public const string SignInDidNotComplete = "/signin?failed=1";

    /// <summary>
    /// Where Sign out ends when the console could not end the session at the provider too (it offers no end-session
    /// endpoint, or could not be reached): the sign-in page, saying the account there is still signed in on this browser.
    /// </summary>
    public const string SignedOutHereOnly = "/signin?signedout=console-only";

    /// <summary>Where someone signed in at the provider with none of this service's roles ends: the sign-in page, saying so.</summary>
    public const string SignedInWithNoRole = "/signin?failed=no-role";

    /// <summary>Where a sign-in form this process cannot accept goes (ConsoleSetup.UseExpiredForms): the page again, saying why.</summary>
    public const string SignInPageExpired = "/signin?expired=1";

    /// <summary>Where a sign-in form sent without the antiforgery cookie its page set goes: the page again, saying the browser did not keep it.</summary>
    public const string SignInCookiesRefused = "/signin?expired=cookies";

    /// <summary>A sign-in's <c>ReturnUrl</c> if it is a path on this site: never an open redirect.</summary>
    public static string? LocalReturn(string? url) =>
        url is { Length: > 1 } && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : null;

    /// <summary>
    /// Reads the identity provider's discovery document (kept once read, as the challenge would read it): null, logged,
    /// when the provider cannot be reached or does not answer with one, so the sign-in page can say the service is
    /// unavailable (503) where the challenge, or the sign-out at the provider, would have thrown.
    /// </summary>
    public static async Task<OpenIdConnectConfiguration?> ProviderConfigurationAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OidcScheme);
        try
        {
            return options.ConfigurationManager is { } manager ? await manager.GetConfigurationAsync(http.RequestAborted) : options.Configuration ?? new();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Logger(http).LogWarning("The identity provider's discovery document could not be read ({Failure})", e.GetType().Name);
            return null;
        }
    }

    private static void SignInFailed(HttpContext http, string reason)
    {
        // Someone declining at the provider is an expected outcome, not a fault: information, not a warning.
        Logger(http).Log(reason == "access_denied" ? LogLevel.Information : LogLevel.Warning, "Sign-in at the identity provider did not complete ({Reason})", reason);
        http.Response.Redirect(SignInDidNotComplete);
    }

    private static ILogger Logger(HttpContext http) => http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SafeguardingCases.Web.SignIn");

    private static readonly string[] BaseScopes = ["openid", "profile"];

    public static string? Role(ClaimsPrincipal user) => Roles.FirstOrDefault(user.IsInRole);

    public static bool Has(ClaimsPrincipal user, params string[] roles) => roles.Any(user.IsInRole);

    /// <summary>The signed-in person's subject (the token's <c>sub</c>): who a case is allocated to, who requested what.</summary>
    public static string? Subject(ClaimsPrincipal user) => user.FindFirst("sub")?.Value;
}
