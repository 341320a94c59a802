using System.Globalization;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// Keeps a session signed in at an identity provider working as long as the console session lasts: an access token
/// within <see cref="Before"/> of its expiry is exchanged for a new one with the refresh token the provider gave at
/// sign-in (when it gives one: most do for the <c>offline_access</c> scope, in <c>Console__Scopes</c>), before the
/// request reaches a page. Without it an officer working all day was signed out whenever the provider's token lapsed
/// (typically every hour), whatever they were doing. A refresh token the provider refuses (expired, revoked) ends the
/// console session at once; a provider that does not answer leaves the token as it is, to be tried again next request.
/// Requests of one session at the same time (two tabs) share one exchange: a provider that rotates refresh tokens
/// would take a second use of the old one as theft and revoke them all. The ID token a renewal brings (validated as
/// the sign-in's was) gives the session the person's roles as the provider has them now: someone made a lead sees a
/// lead's console within the hour, someone whose role was taken away is signed out, as the API, reading the renewed
/// access token, already treats them.
/// </summary>
public sealed partial class AccessTokenRefresh(IOptionsMonitor<OpenIdConnectOptions> oidc, ConsoleOptions console, ILogger<AccessTokenRefresh> logger) : IDisposable
{
    /// <summary>How long before its expiry an access token is replaced.</summary>
    public static readonly TimeSpan Before = TimeSpan.FromMinutes(2);

    private const string RefreshToken = "refresh_token";
    private const string ExpiresAt = "expires_at";

    // The exchange under way or just made for a refresh token (by its hash), so a request that read the session just
    // before another replaced its tokens takes the same answer instead of spending the old refresh token again.
    private readonly MemoryCache exchanges = new(new MemoryCacheOptions());

    /// <summary>The cookie handler's <c>OnValidatePrincipal</c>: runs once a request, before anything calls the API.</summary>
    public async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var properties = context.Properties;
        if (properties.GetTokenValue(RefreshToken) is not { Length: > 0 } refreshToken
            || !DateTimeOffset.TryParse(properties.GetTokenValue(ExpiresAt), CultureInfo.InvariantCulture, DateTimeStyles.None, out var expires)
            || expires - DateTimeOffset.UtcNow > Before)
            return;
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(refreshToken)));
        Task<object?>? exchange;
        lock (exchanges)
        {
            if (!exchanges.TryGetValue(key, out exchange) || exchange is null)
                exchange = exchanges.Set(key, ExchangeAsync(refreshToken), TimeSpan.FromMinutes(1));
        }
        var result = await exchange;
        // A provider that did not answer is asked again at the next request, not a minute later.
        if (result is null) exchanges.Remove(key);
        switch (result)
        {
            case Tokens tokens:
                if (tokens.Identity is { } now)
                {
                    if (Reconciled(context.Principal!, now) is not { } principal)
                    {
                        await EndAsync(context);
                        return;
                    }
                    if (!ReferenceEquals(principal, context.Principal)) context.ReplacePrincipal(principal);
                }
                properties.UpdateTokenValue(ConsoleAuth.AccessToken, tokens.AccessToken);
                if (tokens.RefreshToken is { Length: > 0 } rotated) properties.UpdateTokenValue(RefreshToken, rotated);
                // A provider that does not say how long the token lasts: renewed again five minutes on.
                var lifetime = tokens.ExpiresIn > 0 ? tokens.ExpiresIn : 300;
                properties.UpdateTokenValue(ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(lifetime).ToString("o", CultureInfo.InvariantCulture));
                context.ShouldRenew = true;
                break;
            case Refused:
                await EndAsync(context);
                break;
        }
    }

    private static async Task EndAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(ConsoleAuth.Scheme);
    }

    /// <summary>
    /// The session's principal with the roles the renewal's ID token gives; null when that token names someone else, or
    /// gives none of this service's roles (the session ends: signing in again says why).
    /// </summary>
    private ClaimsPrincipal? Reconciled(ClaimsPrincipal session, ClaimsIdentity now)
    {
        var renewed = new ClaimsPrincipal(now);
        if (ConsoleAuth.Subject(renewed) != ConsoleAuth.Subject(session))
        {
            LogSomeoneElse(logger);
            return null;
        }
        var role = ConsoleAuth.Role(renewed);
        if (role is null)
        {
            LogNoRole(logger, console.OpenIdConnect!.RoleClaim);
            return null;
        }
        if (session.Identity is not ClaimsIdentity identity || ConsoleAuth.Role(session) == role) return session;
        LogRoleChanged(logger);
        var claims = identity.Claims.Where(c => c.Type != identity.RoleClaimType).Append(new Claim(identity.RoleClaimType, role));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType));
    }

    private async Task<object?> ExchangeAsync(string refreshToken)
    {
        var options = oidc.Get(ConsoleAuth.OidcScheme);
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(CancellationToken.None);
            using var request = new HttpRequestMessage(HttpMethod.Post, configuration.TokenEndpoint)
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "refresh_token",
                    ["refresh_token"] = refreshToken,
                    ["client_id"] = options.ClientId!,
                    ["client_secret"] = options.ClientSecret ?? "",
                }),
            };
            using var response = await options.Backchannel.SendAsync(request, CancellationToken.None);
            if ((int)response.StatusCode is 400 or 401)
            {
                // 400 (invalid_grant): the refresh token expired or was revoked, as they do after the provider's maximum
                // session: expected, the person signs in again. 401: the provider refused the console's own credentials.
                if (response.StatusCode == System.Net.HttpStatusCode.BadRequest) LogEnded(logger);
                else LogClientRefused(logger);
                return new Refused();
            }
            response.EnsureSuccessStatusCode();
            if (await response.Content.ReadFromJsonAsync<Tokens>() is not { AccessToken.Length: > 0 } tokens)
            {
                LogUnavailable(logger, "NoAccessToken");
                return null;
            }
            if (tokens.IdToken is not { Length: > 0 } idToken) return tokens;
            // Validated as the handler validated the sign-in's: this provider's keys, its issuer, the console as audience.
            var parameters = options.TokenValidationParameters.Clone();
            (parameters.ValidIssuer, parameters.ValidAudience, parameters.IssuerSigningKeys) = (configuration.Issuer, options.ClientId, configuration.SigningKeys);
            var validated = await options.TokenHandler.ValidateTokenAsync(idToken, parameters);
            if (validated.Exception is SecurityTokenSignatureKeyNotFoundException)
            {
                // Signed with a key the provider published since its keys were read (it rotated them): read again now,
                // not in the background after this check (UpdateConfigAsBlocking, in the API's project file: this
                // renewal's refresh token is spent, so a refusal here would end the session), and checked once more.
                options.ConfigurationManager!.RequestRefresh();
                parameters.IssuerSigningKeys = (await options.ConfigurationManager.GetConfigurationAsync(CancellationToken.None)).SigningKeys;
                validated = await options.TokenHandler.ValidateTokenAsync(idToken, parameters);
            }
            if (!validated.IsValid)
            {
                LogIdTokenRefused(logger, validated.Exception?.GetType().Name ?? "unknown");
                return new Refused();
            }
            ProviderClaims.UseAsSubject(validated.ClaimsIdentity, console.OpenIdConnect!.SubjectClaim);
            return tokens with { Identity = validated.ClaimsIdentity };
        }
        catch (Exception e)
        {
            // Whatever the provider did (unreachable, timed out, an answer that is not a token response, a discovery
            // document naming a token endpoint that is not an address): the token stays, and so does the session.
            LogUnavailable(logger, e.GetType().Name);
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The identity provider no longer renews a console session's access token; the session ends")]
    private static partial void LogEnded(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The identity provider refused the console's client credentials when renewing an access token (check Console__ClientId and Console__ClientSecret); the session ends")]
    private static partial void LogClientRefused(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A console session's access token could not be renewed now ({Failure}); it is tried again at the next request")]
    private static partial void LogUnavailable(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ID token the identity provider gave with a renewed access token did not validate ({Failure}); the session ends")]
    private static partial void LogIdTokenRefused(ILogger logger, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ID token the identity provider gave with a renewed access token names someone other than the session's; the session ends")]
    private static partial void LogSomeoneElse(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "A console session's account no longer has a role in this service at the identity provider (read from the '{Claim}' claim); the session ends")]
    private static partial void LogNoRole(ILogger logger, string claim);

    [LoggerMessage(Level = LogLevel.Information, Message = "A console session's role was changed at the identity provider; the console now shows what the new role allows")]
    private static partial void LogRoleChanged(ILogger logger);

    private sealed record Tokens(
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn,
        [property: JsonPropertyName("id_token")] string? IdToken)
    {
        /// <summary>Who the validated ID token says the person is now (with their roles); null when the provider sent none.</summary>
        [JsonIgnore] public ClaimsIdentity? Identity { get; init; }
    }

    private sealed record Refused;

    public void Dispose() => exchanges.Dispose();
}
