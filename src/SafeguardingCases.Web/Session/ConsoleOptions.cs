using System.Xml;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace SafeguardingCases.Web.Session;

/// <summary>OpenID Connect sign-in against the issuer the API trusts (<c>Auth__Authority</c>).</summary>
/// <param name="RoleClaim">The claim the provider puts roles in (<c>Auth__RoleClaim</c>, default <c>role</c>), as the API reads them.</param>
/// <param name="SubjectClaim">The claim that names someone (<c>Auth__SubjectClaim</c>, default <c>sub</c>), as the API reads it.</param>
public sealed record OpenIdConnectSettings(string Authority, string ClientId, string? ClientSecret, IReadOnlyList<string> Scopes,
    string RoleClaim = ProviderClaims.Role, string SubjectClaim = ProviderClaims.Subject);

/// <summary>
/// The console's settings: <c>Console__IdleTimeout</c> (default <c>PT15M</c>); development sign-in when in Development
/// or with <c>Auth__AllowDevTokens=true</c> and a development key; otherwise OpenID Connect (<c>Auth__Authority</c>,
/// <c>Console__ClientId</c>, optional <c>Console__ClientSecret</c> and <c>Console__Scopes</c>); where the API answers
/// (<c>Console__ApiBaseAddress</c>, default this process's own address).
/// </summary>
public sealed record ConsoleOptions(
    TimeSpan IdleTimeout, string? DevSigningKey, bool SecureCookies, OpenIdConnectSettings? OpenIdConnect, Uri? ApiBaseAddress)
{
    public bool DevSignIn => DevSigningKey is not null;

    /// <summary>The console pages' Content-Security-Policy (<see cref="ConsoleSetup.ContentSecurityPolicyFor"/>).</summary>
    public string ContentSecurityPolicy { get; } = ConsoleSetup.ContentSecurityPolicyFor(OpenIdConnect);

    public static ConsoleOptions Bind(IConfiguration configuration, IHostEnvironment environment)
    {
        var idle = configuration["Console:IdleTimeout"] is { Length: > 0 } raw ? Duration("Console__IdleTimeout", raw) : TimeSpan.FromMinutes(15);
        var devTokens = environment.IsDevelopment() || string.Equals(configuration["Auth:AllowDevTokens"], "true", StringComparison.OrdinalIgnoreCase);
        var devKey = devTokens && configuration["Auth:DevSigningKey"] is { Length: > 0 } key ? key : null;
        OpenIdConnectSettings? oidc = null;
        if (configuration["Auth:Authority"] is { Length: > 0 } authority && configuration["Console:ClientId"] is { Length: > 0 } clientId)
        {
            var scopes = (configuration["Console:Scopes"] ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
            oidc = new OpenIdConnectSettings(authority, clientId, configuration["Console:ClientSecret"], scopes,
                ProviderClaims.RoleClaimIn(configuration), ProviderClaims.SubjectClaimIn(configuration));
        }
        var api = configuration["Console:ApiBaseAddress"] is { Length: > 0 } address
            ? Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : throw new InvalidOperationException($"Console__ApiBaseAddress is '{address}'; expected an absolute URL.")
            : null;
        return new ConsoleOptions(idle, devKey, !environment.IsDevelopment(), oidc, api);
    }

    private static TimeSpan Duration(string name, string raw)
    {
        try
        {
            var value = XmlConvert.ToTimeSpan(raw);
            if (value > TimeSpan.Zero) return value;
        }
        catch (FormatException)
        {
        }
        throw new InvalidOperationException($"{name} is '{raw}'; expected a positive ISO-8601 duration such as PT15M.");
    }
}
