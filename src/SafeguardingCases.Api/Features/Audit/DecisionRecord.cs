using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using NodaTime;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Audit;

/// <summary>Whether a decision escalated or recorded that it would not.</summary>
public enum DecisionKind { Escalation, NoEscalation }

/// <summary>
/// One escalation or no-escalation decision across all cases, indexed by time: the source for the escalation audit
/// and the weekly report. Written inline with the event it comes from.
/// </summary>
public sealed class DecisionRecord
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public long StreamVersion { get; set; }
    public DecisionKind Kind { get; set; }
    public Route Route { get; set; }
    public PersonClassification? Classification { get; set; }
    public Guid? OverrideId { get; set; }
    public Instant At { get; set; }
    public long AtUnixMs { get; set; }

    /// <summary>Time then id, fixed-width (<see cref="Infrastructure.Http.Cursor"/>): the audit pages by it.</summary>
    public string SortKey { get; set; } = "";

    /// <summary>The record of a decision event at a version of a case; null for any other event.</summary>
    public static DecisionRecord? From(Guid caseId, long version, object @event) => @event switch
    {
        EscalationMade m => new DecisionRecord
        {
            Id = m.EscalationId, CaseId = caseId, StreamVersion = version, Kind = DecisionKind.Escalation, Route = m.Route,
            Classification = m.Decision.Classification, OverrideId = m.OverrideId, At = m.At, AtUnixMs = m.At.ToUnixTimeMilliseconds(),
            SortKey = Infrastructure.Http.Cursor.Key(m.At, m.EscalationId),
        },
        NoEscalationDecisionRecorded n => new DecisionRecord
        {
            Id = n.DecisionId, CaseId = caseId, StreamVersion = version, Kind = DecisionKind.NoEscalation, Route = Route.None,
            Classification = n.ServiceUserClassification, At = n.At, AtUnixMs = n.At.ToUnixTimeMilliseconds(),
            SortKey = Infrastructure.Http.Cursor.Key(n.At, n.DecisionId),
        },
        _ => null,
    };
}

public sealed partial class DecisionRecordProjection : EventProjection
{
    public DecisionRecordProjection()
    {
        IncludeType<EscalationMade>();
        IncludeType<NoEscalationDecisionRecorded>();
    }

    public override ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        if (DecisionRecord.From(e.StreamId, e.Version, e.Data) is { } record) operations.Store(record);
        return ValueTask.CompletedTask;
    }
}
