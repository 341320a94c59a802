using JasperFx.Events;
using Marten.Events.Aggregation;
using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Cases.List;

/// <summary>An outstanding obligation as the case list shows it.</summary>
public sealed record ObligationSummary(ObligationType Type, Instant DueBy, string? PersonId, Guid? EscalationId);

/// <summary>
/// One row of the case list, kept inline with the case's events so the list always agrees with the case. The
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

    /// <summary>The case state the row is derived from, kept so the next event can be applied to it.</summary>
    public CaseState State { get; set; } = new();
}

/// <summary>Keeps <see cref="CaseSummary"/> with the domain's evolve function and the policy's obligations.</summary>
public sealed class CaseSummaryProjection(PolicyOptions options) : SingleStreamProjection<CaseSummary, Guid>
{
    public override CaseSummary? Evolve(CaseSummary? snapshot, Guid id, IEvent e)
    {
        if (e.Data is not ICaseEvent caseEvent) return snapshot;
        var state = CaseState.Evolve(snapshot?.State.Version > 0 ? snapshot.State : null, caseEvent);
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
            ServiceUserClassification = serviceUser is null ? PersonClassification.UnknownTreatedAsChild : PolicyEngine.Classify(serviceUser).Classification,
            ObligationTypes = [.. obligations.Select(o => o.Type.ToString()).Distinct()],
            Obligations = [.. obligations.Select(o => new ObligationSummary(o.Type, o.DueBy, o.PersonId, o.EscalationId))],
            NextDueByUnixMs = obligations.Count == 0 ? long.MaxValue : obligations.Min(o => o.DueBy.ToUnixTimeMilliseconds()),
            State = state,
        };
    }
}
