namespace SafeguardingCases.Domain.Cases;

/// <summary>
/// PRIVACY-AT-REST: a field that is free text or identifies a person. Stored encrypted under the case's own key; what
/// the policy and the reports need (age groups, answers, categories, routes, agencies, instants, ids) is not marked.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PersonalAttribute : Attribute
{
    /// <summary>
    /// DESTRUCTION-TWO-LEADS: what a personal text reads as once the case's key is destroyed. Built from Unicode
    /// noncharacters, which the API refuses in every request, so no one can record it; the API writes it as
    /// <c>{ "destroyed": true }</c>.
    /// </summary>
    public const string Destroyed = "\uFDD0destroyed\uFDD0";

    public static bool IsDestroyed(string? value) => value is not null && string.Equals(value, Destroyed, StringComparison.Ordinal);
}
