using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// An OpenID Connect provider for the tests, as small as the protocol allows: discovery, a JWKS, the authorization
/// code flow with PKCE (S256 only) and a token endpoint issuing RS256 tokens (an access token for the API's audience,
/// an ID token for the console). Its sign-in page has one button, "Continue as {name}", for the person the test chose;
/// once shown, the browser has a session at the provider (a cookie of its own), and the next sign-in goes straight
/// back, as single sign-on does, until the provider's end-session endpoint ends it.
/// Over plain HTTP on loopback, which the API and the console accept from an authority in Development only.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "staff-console";
    public const string ClientSecret = "test-console-secret";
    public const string Audience = "safeguarding-api";

    private readonly WebApplication app;
    private RsaSecurityKey key = new(RSA.Create(2048)) { KeyId = "test-provider-key" };
    private readonly List<RsaSecurityKey> retired = [];

    /// <summary>
    /// Signs from now on with a new key, published beside the old one (as a provider rotating its keys does), which
    /// anyone who read the provider's keys before has not seen yet.
    /// </summary>
    public void RotateKey()
    {
        retired.Add(key);
        key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = $"test-provider-key-{retired.Count + 1}" };
    }
    private readonly ConcurrentDictionary<string, Grant> codes = new();
    private readonly ConcurrentDictionary<string, (string, string, string)> sessions = new();
    private const string SessionCookie = "test-provider-session";

    /// <summary>How many times a browser's session at the provider was ended (its end-session endpoint).</summary>
    public int EndedSessions { get; private set; }

    public string Issuer { get; }

    /// <summary>While set, the provider answers every request 503, as one that is down behind its load balancer.</summary>
    public bool Unavailable { get; set; }

    /// <summary>
    /// How long the access tokens issued at sign-in (the code grant) last; negative: already lapsed when issued, as a
    /// provider's hour-long token is by the time an officer has worked that hour (the API allows a minute's skew).
    /// Those issued for a refresh token last <see cref="RenewedTokenLifetime"/>.
    /// </summary>
    public TimeSpan SignInTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long the access tokens issued for a refresh token last: an hour, unless a test needs renewals one after another.</summary>
    public TimeSpan RenewedTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Roles given or taken away at the provider since someone signed in, by subject ("" for none): what the tokens a
    /// renewal issues carry from then on, as a provider's do once an administrator changes someone's role.
    /// </summary>
    public ConcurrentDictionary<string, string> RolesNow { get; } = new();

    /// <summary>How many times a refresh token was exchanged (or its exchange refused).</summary>
    public int RefreshGrants => refreshGrants;

    /// <summary>While set, every refresh token is refused (invalid_grant), as one expired or revoked is.</summary>
    public bool RefuseRefreshGrants { get; set; }

    /// <summary>While set, refresh grants are answered 503 (counted all the same), as by a provider down between a sign-in and its renewal.</summary>
    public bool RefreshGrantsUnavailable { get; set; }

    private int refreshGrants;
    private readonly ConcurrentDictionary<string, (string, string, string)> refreshTokens = new();

    /// <summary>The claim the provider puts roles in: <c>role</c>, or <c>roles</c> as Microsoft Entra ID does.</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>
    /// While set, <c>sub</c> differs for each audience (the console's ID token, the API's access token) and <c>oid</c>
    /// names the person, as Microsoft Entra ID's tokens do.
    /// </summary>
    public bool PairwiseSubjects { get; set; }

    /// <summary>
    /// While cleared, the discovery document names no end-session endpoint, as providers that do not offer
    /// RP-initiated logout publish theirs (Google's, for one): a client cannot end the browser's session here.
    /// </summary>
    public bool OffersEndSession { get; set; } = true;

    /// <summary>Who signs in at the provider's page.</summary>
    public (string Subject, string Name, string Role) Person { get; set; }

    private sealed record Grant(string RedirectUri, string Challenge, string? Nonce, bool Offline, (string Subject, string Name, string Role) Person);

    private TestIdentityProvider(WebApplication app, string issuer, (string, string, string) person) => (this.app, Issuer, Person) = (app, issuer, person);

    public static async Task<TestIdentityProvider> StartAsync((string Subject, string Name, string Role) person)
    {
        // "localhost", not the console's 127.0.0.1: another site, as a real provider is (cookies that stay on one site do not
        // follow the way back from it).
        var issuer = $"http://localhost:{Loopback.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(issuer);
        builder.Logging.ClearProviders();
        var provider = new TestIdentityProvider(builder.Build(), issuer, person);
        provider.app.Use((http, next) =>
        {
            if (!provider.Unavailable) return next(http);
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        provider.Map();
        await provider.app.StartAsync();
        return provider;
    }

    /// <summary>An access token for the API, signed by this provider, as its token endpoint issues them.</summary>
    public string AccessToken(string subject, string name, string role, string audience = Audience, TimeSpan? lifetime = null, string? roleClaim = null) =>
        Token(audience, Claims(audience, subject, name, role, roleClaim), lifetime ?? TimeSpan.FromHours(1));

    /// <summary>The claims saying who someone is, for one audience.</summary>
    private Dictionary<string, object> Claims(string audience, string subject, string name, string role, string? roleClaim = null)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = name };
        if (role.Length > 0) claims[roleClaim ?? RoleClaim] = new[] { role };
        if (PairwiseSubjects)
            (claims["sub"], claims["oid"]) = ($"pairwise-{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{audience}|{subject}")))[..16].ToLowerInvariant()}", subject);
        return claims;
    }

    private string Token(string audience, Dictionary<string, object> claims, TimeSpan lifetime)
    {
        var expires = DateTime.UtcNow.Add(lifetime);
        var issued = expires.AddHours(-1) < DateTime.UtcNow ? expires.AddHours(-1) : DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = issued,
            NotBefore = issued.AddMinutes(-1),
            Expires = expires,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>The discovery document: where each endpoint is, and what the provider supports.</summary>
    private Dictionary<string, object> Discovery()
    {
        var document = new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["end_session_endpoint"] = $"{Issuer}/logout",
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query", "form_post" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
        };
        if (!OffersEndSession) document.Remove("end_session_endpoint");
        return document;
    }

    private void Map()
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(Discovery()));
        app.MapGet("/jwks", () =>
        {
            return Results.Json(new
            {
                keys = retired.Append(key).Select(k => (Key: k, Public: k.Rsa.ExportParameters(false))).Select(k => new
                {
                    kty = "RSA", use = "sig", alg = "RS256", kid = k.Key.KeyId, n = Base64UrlEncoder.Encode(k.Public.Modulus), e = Base64UrlEncoder.Encode(k.Public.Exponent),
                }).ToArray(),
            });
        });
        // The provider's sign-in page: the request checked, then one button for the chosen person and one to cancel
        // (back to the client with error=access_denied, as providers answer a person who declines).
        app.MapGet("/authorize", (HttpRequest request) =>
        {
            var q = request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256" || string.IsNullOrEmpty(q["code_challenge"]))
                return Results.BadRequest("client_id, response_type=code and a S256 code_challenge are required");
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var offline = q["scope"].ToString().Split(' ').Contains("offline_access");
            codes[code] = new Grant(q["redirect_uri"].ToString(), q["code_challenge"].ToString(), q["nonce"], offline, Person);
            var mode = q["response_mode"].ToString();
            var state = $"<input type=\"hidden\" name=\"state\" value=\"{WebUtility.HtmlEncode(q["state"])}\">";
            var fields = $"<input type=\"hidden\" name=\"code\" value=\"{code}\">{state}";
            var method = mode == "form_post" ? "post" : "get";
            // Signed in here already (single sign-on): straight back, the form sent by the page itself.
            var signedIn = request.Cookies.TryGetValue(SessionCookie, out var session) && sessions.ContainsKey(session);
            if (!signedIn)
            {
                var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
                sessions[id] = Person;
                request.HttpContext.Response.Cookies.Append(SessionCookie, id, new CookieOptions { HttpOnly = true, Path = "/" });
            }
            return Results.Content($"<!DOCTYPE html><html lang=\"en\"><head><title>Test provider</title></head><body{(signedIn ? " onload=\"document.forms[0].submit()\"" : "")}><main><h1>Test provider</h1>" +
                $"<form method=\"{method}\" action=\"{WebUtility.HtmlEncode(q["redirect_uri"])}\">{fields}<button>Continue as {WebUtility.HtmlEncode(Person.Name)}</button></form>" +
                $"<form method=\"{method}\" action=\"{WebUtility.HtmlEncode(q["redirect_uri"])}\"><input type=\"hidden\" name=\"error\" value=\"access_denied\">{state}<button>Cancel</button></form></main></body></html>", "text/html");
        });
        // End session: the provider forgets the browser's session, then sends it back where the client asked.
        app.MapGet("/logout", (HttpRequest request) =>
        {
            if (request.Cookies.TryGetValue(SessionCookie, out var session)) sessions.TryRemove(session, out _);
            request.HttpContext.Response.Cookies.Delete(SessionCookie);
            EndedSessions++;
            var back = request.Query["post_logout_redirect_uri"].ToString();
            return back.Length == 0 ? Results.Content("Signed out", "text/plain")
                : Results.Redirect(request.Query["state"] is { Count: > 0 } state ? $"{back}?state={Uri.EscapeDataString(state.ToString())}" : back);
        });
        app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var (clientId, secret) = (form["client_id"].ToString(), form["client_secret"].ToString());
            if (request.Headers.Authorization.ToString() is { } basic && basic.StartsWith("Basic ", StringComparison.Ordinal))
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(basic["Basic ".Length..])).Split(':', 2);
                (clientId, secret) = (Uri.UnescapeDataString(pair[0]), Uri.UnescapeDataString(pair[1]));
            }
            if (clientId != ClientId || secret != ClientSecret) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            if (form["grant_type"] == "refresh_token")
            {
                Interlocked.Increment(ref refreshGrants);
                if (RefreshGrantsUnavailable) return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
                // Rotated: a refresh token is spent when used.
                if (RefuseRefreshGrants || !refreshTokens.TryRemove(form["refresh_token"].ToString(), out var holder))
                    return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                if (RolesNow.TryGetValue(holder.Item1, out var roleNow)) holder = (holder.Item1, holder.Item2, roleNow);
                return Results.Json(Tokens(holder, nonce: null, offline: true, RenewedTokenLifetime));
            }
            if (form["grant_type"] != "authorization_code" || !codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"]
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            return Results.Json(Tokens(grant.Person, grant.Nonce, grant.Offline, SignInTokenLifetime));
        });
    }

    /// <summary>A token endpoint's answer: access and ID tokens, and a refresh token when offline_access was asked for.</summary>
    private Dictionary<string, object> Tokens((string Subject, string Name, string Role) person, string? nonce, bool offline, TimeSpan lifetime)
    {
        var (subject, name, role) = person;
        var id = Claims(ClientId, subject, name, role);
        if (nonce is { Length: > 0 }) id["nonce"] = nonce;
        var answer = new Dictionary<string, object>
        {
            ["access_token"] = AccessToken(subject, name, role, lifetime: lifetime),
            ["id_token"] = Token(ClientId, id, TimeSpan.FromHours(1)),
            ["token_type"] = "Bearer",
            ["expires_in"] = (int)lifetime.TotalSeconds,
        };
        if (offline)
        {
            var refresh = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            refreshTokens[refresh] = person;
            answer["refresh_token"] = refresh;
        }
        return answer;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        foreach (var k in retired.Append(key)) k.Rsa.Dispose();
    }
}
