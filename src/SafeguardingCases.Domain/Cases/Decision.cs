namespace SafeguardingCases.Domain.Cases;

/// <summary>Why a command was refused, which decides the HTTP status: 422, 409 or 404.</summary>
public enum RefusalKind
{
    /// <summary>The policy does not permit it (422 with the rule IDs).</summary>
    Policy,
    /// <summary>It conflicts with the case's state, e.g. the case is closed (409).</summary>
    Conflict,
    /// <summary>Something the command cites does not exist in this case (404).</summary>
    NotFound,
    /// <summary>NEED-TO-KNOW: the case is restricted and the caller is neither named nor holding break-glass access (403).</summary>
    Restricted,
    /// <summary>The caller's role does not allow this on someone else's behalf, e.g. an officer allocating a colleague (403).</summary>
    Forbidden,
}

/// <summary>A refusal as a value: never an exception. The endpoint maps it to problem details.</summary>
public sealed record Refusal(RefusalKind Kind, string Title, string Detail, IReadOnlyList<string> RuleIds)
{
    public static Refusal Policy(string title, IReadOnlyList<string> ruleIds, IReadOnlyList<string> reasons) =>
        new(RefusalKind.Policy, title, string.Join(" ", reasons), ruleIds);

    public static Refusal Conflict(string detail, params string[] ruleIds) => new(RefusalKind.Conflict, "Conflict with the case's state", detail, ruleIds);

    public static Refusal NotFound(string detail) => new(RefusalKind.NotFound, "Not found in this case", detail, []);

    public static Refusal Restricted(string detail) => Restricted(detail, SafeguardingCases.Domain.Policy.RuleIds.NeedToKnow);

    public static Refusal Restricted(string detail, params string[] ruleIds) => new(RefusalKind.Restricted, "The case is restricted", detail, ruleIds);

    public static Refusal Forbidden(string detail) => new(RefusalKind.Forbidden, "Forbidden", detail, []);

    public static Refusal PersonNotFound(string personId) => NotFound($"Person '{personId}' is not a person at risk in this case.");
}

/// <summary>The outcome of a decide function: the events to append, or a refusal (then nothing is appended).</summary>
public sealed record Decision(IReadOnlyList<ICaseEvent> Events, Refusal? Refusal)
{
    public bool IsRefused => Refusal is not null;
    public static Decision Accept(params ICaseEvent[] events) => new(events, null);
    public static Decision Refuse(Refusal refusal) => new([], refusal);
    public static implicit operator Decision(Refusal refusal) => Refuse(refusal);
}
