namespace SafeguardingCases.Api.Infrastructure.OpenApi;

/// <summary>A problem (RFC 9457) as this API sends it: one <c>type</c> family, and the request's W3C trace id.</summary>
public record Problem(string Type, string Title, int Status, string? Detail, string TraceId, string? Instance = null);

/// <summary>One field (or header) that is not valid, named as the JSON names it, and why.</summary>
public sealed record ValidationError(string Name, string Reason);

/// <summary>400: the request is not valid; <c>errors</c> lists each field.</summary>
public sealed record ValidationProblem(string Type, string Title, int Status, string? Detail, string TraceId, IReadOnlyList<ValidationError> Errors)
    : Problem(Type, Title, Status, Detail, TraceId);

/// <summary>409 and 422: refused; <c>ruleIds</c> lists the policy rules that refused it, when rules did.</summary>
public sealed record RefusalProblem(string Type, string Title, int Status, string? Detail, string TraceId, IReadOnlyList<string>? RuleIds)
    : Problem(Type, Title, Status, Detail, TraceId);
