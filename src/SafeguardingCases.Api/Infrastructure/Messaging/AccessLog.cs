using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Messaging;

/// <summary>
/// A read of one case's details, as a query answers it: the view, or why the reader may not see it (NEED-TO-KNOW),
/// with how the reader came to see it (ACCESS-LOG records that). A null view without a refusal: no such case.
/// </summary>
public sealed record CaseRead<TView>(TView? View, AccessBasis? Basis, Refusal? Refusal)
{
    public static readonly CaseRead<TView> NotFound = new(default, null, null);

    /// <summary>What the access log records of this read (ACCESS-LOG).</summary>
    public string How => Rules.AccessLog(Basis, Refusal);
}

/// <summary>NEED-TO-KNOW for reads: loads the case and decides whether the reader may see it, before anything is read.</summary>
public static class CaseReadAccess
{
    /// <param name="keys">
    /// The case's key, when not held fresh, is read before the case (awaited), not from inside the serializer (blocking);
    /// a destroyed case's key, if this process still held it, is forgotten, and remembered as destroyed, for a read that
    /// then opens stored events (each sealed value reads as destroyed without a query of its own).
    /// </param>
    public static async Task<(CaseState? State, AccessBasis? Basis, Refusal? Refusal)> LoadAsync(
        IQuerySession session, Privacy.CaseKeyRing keys, Guid caseId, Actor reader, Instant now, CancellationToken ct)
    {
        await keys.PrepareAsync([caseId], ct);
        var state = (await session.LoadAsync<CaseStream>(caseId, ct))?.State;
        if (state is null) return (null, null, null);
        if (state.DataDestroyed is not null) keys.Destroyed(caseId);
        var (basis, refusal) = Rules.NeedToKnow(state, reader, now);
        return (state, basis, refusal);
    }

    public static CaseRead<TView> Refused<TView>(Refusal refusal) => new(default, null, refusal);
}

/// <summary>One read of a case: who, when, which case, through which route, how they came to see it, and the answer.</summary>
public sealed class CaseAccessRecord
{
    public Guid Id { get; set; }
    public Guid CaseId { get; set; }
    public string Subject { get; set; } = "";
    public string Name { get; set; } = "";
    public List<string> Roles { get; set; } = [];
    public string Route { get; set; } = "";
    public Instant At { get; set; }
    public long AtUnixMs { get; set; }
    public bool Found { get; set; }
    /// <summary>ACCESS-LOG: Role, Named, BreakGlass or Refused; "Listed" for a case shown in a list.</summary>
    public string How { get; set; } = "";
    public int Status { get; set; }
    /// <summary>The export this read sent out, if it was one (its id and audience; the rest is in its ledger-signed record).</summary>
    public Guid? ExportId { get; set; }
    public string? ExportAudience { get; set; }
}
