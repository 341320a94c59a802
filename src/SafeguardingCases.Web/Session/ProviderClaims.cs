using System.Security.Claims;
using Microsoft.Extensions.Configuration;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// Which of an identity provider's claims say who someone is and what roles they have (<c>Auth__SubjectClaim</c>,
/// <c>Auth__RoleClaim</c>), read the same way by the API's bearer tokens and the console's sign-in.
/// </summary>
public static class ProviderClaims
{
    public const string Subject = "sub";
    public const string Role = "role";

    /// <summary><c>Auth__RoleClaim</c>, or <c>role</c> when unset.</summary>
    public static string RoleClaimIn(IConfiguration configuration) => configuration["Auth:RoleClaim"] is { Length: > 0 } claim ? claim : Role;

    /// <summary><c>Auth__SubjectClaim</c>, or <c>sub</c> when unset.</summary>
    public static string SubjectClaimIn(IConfiguration configuration) => configuration["Auth:SubjectClaim"] is { Length: > 0 } claim ? claim : Subject;

    /// <summary>Whether <paramref name="type"/> is a claim name as providers write them: letters, digits and _ - . : /.</summary>
    public static bool IsClaimName(string type) =>
        type.Length is > 0 and <= 100 && type.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/');

    /// <summary>
    /// Makes <paramref name="subjectClaim"/> the identity's <c>sub</c>, which everything downstream reads (the actor on
    /// every event, allocations, restrictions' named staff, idempotency keys, rate limits): Microsoft Entra ID's
    /// <c>sub</c> differs from one application to another (the console's ID token and the API's access token would name
    /// one person twice), its <c>oid</c> does not. Without that claim the identity has no <c>sub</c>, and is refused.
    /// </summary>
    public static void UseAsSubject(ClaimsIdentity identity, string subjectClaim)
    {
        if (subjectClaim == Subject) return;
        var value = identity.FindFirst(subjectClaim)?.Value;
        foreach (var sub in identity.FindAll(Subject).ToList()) identity.RemoveClaim(sub);
        if (!string.IsNullOrWhiteSpace(value)) identity.AddClaim(new Claim(Subject, value));
    }
}
