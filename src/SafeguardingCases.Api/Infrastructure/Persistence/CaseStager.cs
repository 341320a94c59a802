using Marten;
using Microsoft.Extensions.Options;
using SafeguardingCases.Api.Features.Audit.BreakGlass;
using SafeguardingCases.Api.Features.Audit.Overrides;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>One event as it will be stored: its id, the event, its JSON as Marten serializes it, and its chain hash.</summary>
public sealed record StagedEvent(Guid Id, long Version, ICaseEvent Data, string Json, string Hash);

/// <summary>
/// Everything one command commits, whichever path commits it (the group statement or Marten): its events with their
/// hash chain, the case document after them, the case list row, the audit rows its events call for, and the
/// Idempotency-Key's answer. <paramref name="VersionBefore"/> is the version the command was decided on (0: a new case).
/// </summary>
public sealed record StagedCommand(Guid CaseId, long VersionBefore, IReadOnlyList<StagedEvent> Events, CaseStream After,
    CaseSummary Summary, IReadOnlyList<object> AuditRows, IdempotencyRecord? Answer = null, bool ReplacesExpiredAnswer = false,
    Privacy.CaseKey? NewKey = null, byte[]? NewKeyBytes = null)
{
    public long VersionAfter => After.State.Version;

    /// <summary>DESTRUCTION-TWO-LEADS: this command destroys the case's data key (only the Marten path commits it).</summary>
    public bool DestroysKey => Events.Any(e => e.Data is CaseDataDestroyed);
}

/// <summary>
/// The one way a command is staged (issue 19): what <see cref="CaseCommandRunner"/> commits is built here and only
/// here, from the case before, its chain head and the decided events, so the group path and the Marten path can never
/// stage different things.
/// </summary>
public sealed class CaseStager(IDocumentStore store, IOptions<PolicyOptions> policy, Privacy.CaseKeyRing keys)
{
    /// <param name="makesKey">A new case whose id has no key yet: its data key is made here, stored with its first events.</param>
    public StagedCommand Stage(Guid caseId, CaseState? before, string? chainHead, IReadOnlyList<ICaseEvent> events, bool makesKey = false)
    {
        // Every event is hashed as stored (sealed).
        (byte[] Key, Privacy.CaseKey Stored)? newKey = makesKey ? keys.Create(caseId) : null;
        using var scope = Privacy.CaseKeyScope.Enter(caseId, newKey?.Key);
        var serializer = store.Options.Serializer();
        var version = before?.Version ?? 0;
        // A case without a chain head keeps a visible gap: the chain is not restarted, so integrity reports it.
        var walk = new EventHashChain.Walk(before is null ? EventHashChain.Genesis : chainHead ?? "missing");
        var staged = events.Select((e, i) =>
        {
            var json = serializer.ToJson(e);
            return new StagedEvent(Guid.CreateVersion7(), version + i + 1, e, json, walk.Next(caseId, version + i + 1, e.GetType().Name, json));
        }).ToList();
        var after = events.Aggregate(before, CaseState.Evolve)!;
        var summary = CaseSummary.From(after, policy.Value);
        summary.ReferenceIndex = Features.Cases.Search.ReferenceIndex.Of(after, Features.Cases.Search.ReferenceIndex.Key(store, keys));
        return new StagedCommand(caseId, version, staged, new CaseStream { Id = caseId, State = after, ChainHead = walk.Head },
            summary, AuditRows(caseId, after, events), NewKey: newKey?.Stored, NewKeyBytes: newKey?.Key);
    }

    /// <summary>The auditors' rows across cases: each override changed (its latest state) and each break-glass grant.</summary>
    private static List<object> AuditRows(Guid caseId, CaseState after, IReadOnlyList<ICaseEvent> events)
    {
        var rows = new List<object>();
        // A destruction rewrites the case's override rows without their justifications (DESTRUCTION-TWO-LEADS).
        var overrides = events.Any(e => e is CaseDataDestroyed) ? after.Overrides.Select(o => o.Request.OverrideId) : events.Select(OverrideChangedBy).OfType<Guid>();
        foreach (var overrideId in overrides.Distinct())
        {
            if (after.FindOverride(overrideId) is { } changed) rows.Add(OverrideAuditRow.From(caseId, changed));
        }
        rows.AddRange(events.OfType<BreakGlassAccessGranted>().Select(grant => BreakGlassAuditRow.From(caseId, grant)));
        rows.AddRange(events.OfType<ChronologyExported>().Select(export => Features.Audit.Exports.ExportAuditRow.From(caseId, export)));
        return rows;
    }

    /// <summary>The override an event changes, for the auditors' list of overrides across cases.</summary>
    private static Guid? OverrideChangedBy(ICaseEvent e) => e switch
    {
        OverrideRequested r => r.OverrideId,
        OverrideApproved a => a.OverrideId,
        EscalationMade { OverrideId: { } used } => used,
        _ => null,
    };
}
