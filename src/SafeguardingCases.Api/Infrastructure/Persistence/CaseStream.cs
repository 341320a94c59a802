using JasperFx.Events;
using Marten.Events.Aggregation;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// The stored case: the domain's <see cref="CaseState"/> and the hash of the stream's last event (the head of the
/// tamper-evident chain), so a command reads both in the one fetch it makes and never loads the previous hash separately.
/// The domain state stays pure; the hash is the store's concern.
/// </summary>
public sealed class CaseStream
{
    public Guid Id { get; set; }
    public CaseState State { get; set; } = new();

    /// <summary>The hash of the last event applied (see <see cref="EventHashChain"/>); null only for a stream without hashes.</summary>
    public string? ChainHead { get; set; }
}

/// <summary>Builds <see cref="CaseStream"/> inline with the domain's own pure evolve function and each event's hash header.</summary>
public sealed class CaseStreamProjection : SingleStreamProjection<CaseStream, Guid>
{
    public override CaseStream? Evolve(CaseStream? snapshot, Guid id, IEvent e)
    {
        if (e.Data is not ICaseEvent caseEvent) return snapshot;
        return new CaseStream
        {
            Id = id,
            State = CaseState.Evolve(snapshot?.State.Version > 0 ? snapshot.State : null, caseEvent),
            ChainHead = EventHashChain.HeaderOf(e) ?? snapshot?.ChainHead,
        };
    }
}
