namespace SafeguardingCases.Domain.Cases;

/// <summary>
/// PRIVACY-AT-REST: a field that is free text or identifies a person. Stored encrypted under the case's own key; what
/// the policy and the reports need (age groups, answers, categories, routes, agencies, instants, ids) is not marked.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class PersonalAttribute : Attribute;
