using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases.List;

/// <summary>An outstanding obligation as the case list shows it.</summary>
public sealed record ObligationSummary(ObligationType Type, Instant DueBy, string? PersonId, Guid? EscalationId);

/// <summary>
/// One row of the case list: a small document with its own fields (no copy of the case state), written by the command
/// runner in the same transaction as the events that changed the case, from the state it has just evolved. The
/// obligation types and due instants are stored as plain values PostgreSQL can filter and sort on.
/// </summary>
public sealed class CaseSummary
{
    public Guid Id { get; set; }
    public long Version { get; set; }
    public CaseStatus Status { get; set; }
    public Channel Channel { get; set; }
    public string SourceReference { get; set; } = "";
    public string Summary { get; set; } = "";
    public Instant OpenedAt { get; set; }
    public Instant LastChangedAt { get; set; }
    public long LastChangedAtUnixMs { get; set; }
    public PersonClassification ServiceUserClassification { get; set; }
    public List<string> ObligationTypes { get; set; } = [];
    public List<ObligationSummary> Obligations { get; set; } = [];
    /// <summary>The earliest due instant of any outstanding obligation, for queue order; long.MaxValue when none.</summary>
    public long NextDueByUnixMs { get; set; } = long.MaxValue;
    /// <summary>NEED-TO-KNOW: the row shows only to the named staff while the case is restricted.</summary>
    public bool Restricted { get; set; }
    public List<string> AllowedSubjects { get; set; } = [];

    /// <summary>The row for a case as it stands, with the obligations the policy computes under these options.</summary>
    public static CaseSummary From(CaseState state, PolicyOptions options)
    {
        var obligations = PolicyEngine.Obligations(state, options);
        var serviceUser = state.FindPerson(CaseState.ServiceUserId);
        return new CaseSummary
        {
            Id = state.Id,
            Version = state.Version,
            Status = state.Status,
            Channel = state.Channel,
            SourceReference = state.SourceReference,
            Summary = state.Summary,
            OpenedAt = state.OpenedAt,
            LastChangedAt = state.LastChangedAt,
            LastChangedAtUnixMs = state.LastChangedAt.ToUnixTimeMilliseconds(),
            ServiceUserClassification = serviceUser is null
                ? PersonClassification.UnknownTreatedAsChild
                : Rules.Classify(serviceUser, state.LastChangedAt).Classification,
            ObligationTypes = [.. obligations.Select(o => o.Type.ToString()).Distinct()],
            Obligations = [.. obligations.Select(o => new ObligationSummary(o.Type, o.DueBy, o.PersonId, o.EscalationId))],
            NextDueByUnixMs = obligations.Count == 0 ? long.MaxValue : obligations.Min(o => o.DueBy.ToUnixTimeMilliseconds()),
            Restricted = state.Restriction is not null,
            AllowedSubjects = state.Restriction is { } restriction ? [.. restriction.AllowedSubjects] : [],
        };
    }
}
