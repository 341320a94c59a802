using FastEndpoints;
using FluentValidation;
using Marten;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Ledger;

/// <summary>Which event (<c>caseId</c>, <c>version</c>) in which signed tree (<c>treeSize</c>).</summary>
public sealed class InclusionProofRequest
{
    /// <summary>The case whose event is proved (required).</summary>
    public Guid? CaseId { get; set; }
    /// <summary>The event's version in its case (required).</summary>
    public long? Version { get; set; }
    /// <summary>The size of the signed tree to prove it in (required): a checkpoint's <c>treeSize</c>.</summary>
    public long? TreeSize { get; set; }
}

public sealed class InclusionProofValidator : Validator<InclusionProofRequest>
{
    public InclusionProofValidator()
    {
        RuleFor(x => x.CaseId).NotNull();
        RuleFor(x => x.Version).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(x => x.TreeSize).NotNull().GreaterThanOrEqualTo(1);
    }
}

/// <summary>RFC 9162 2.1.3: the leaf's index, its 32 bytes (hex), and the audit path (base64 hashes).</summary>
public sealed record InclusionProof(long LeafIndex, long TreeSize, string Leaf, IReadOnlyList<string> AuditPath);

/// <summary>
/// GET /audit/proofs/inclusion: prove an event is in a signed tree, from the checkpoint's kept tree and the event's chunk
/// read back and checked against it. The case the proof names is in the access log (RESTRICTION-OWNERS: audit pages
/// log the restricted cases they show).
/// </summary>
public sealed class InclusionProofEndpoint(EventLedger ledger, IQuerySession session) : Endpoint<InclusionProofRequest, InclusionProof>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/proofs/inclusion");
        Roles(R.Auditor);
        Description(b => b.Read<InclusionProof>("Audit", "An RFC 9162 inclusion proof of one event in a signed checkpoint", onCase: false)
            .Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(InclusionProofRequest req, CancellationToken ct)
    {
        if (await session.LoadAsync<CheckpointRecord>(req.TreeSize!.Value, ct) is not { } checkpoint)
        {
            await CheckpointAnswers.NoSuchCheckpointAsync(HttpContext);
            return;
        }
        var tree = await ledger.TreeAsync(checkpoint, ct);
        var leaf = await ledger.LeafOfAsync(req.CaseId!.Value, req.Version!.Value, ct);
        // The event must be a leaf of the signed tree, with the hash it had when signed.
        var signed = tree is null || leaf is null ? null : await tree.LeafAsync(leaf.Value.Sequence, ct);
        if (signed is not { } found || !found.LeafHash.AsSpan().SequenceEqual(MerkleTree.LeafHash(leaf!.Value.Hash))
            || await tree!.InclusionProofAsync(found.Index, ct) is not { } path)
        {
            await CheckpointAnswers.NoLongerMatchesAsync(HttpContext, "No such event in the tree of this checkpoint");
            return;
        }
        CaseAccessFeature.Of(HttpContext)?.Shown.Add(req.CaseId.Value);
        await EndpointResults.SendJsonAsync(HttpContext, new InclusionProof(found.Index, checkpoint.Id, Convert.ToHexStringLower(leaf.Value.Hash),
            [.. path.Select(Convert.ToBase64String)]), StatusCodes.Status200OK);
    }
}

/// <summary>Two signed tree sizes, <c>from</c> &lt;= <c>to</c>.</summary>
public sealed class ConsistencyProofRequest
{
    /// <summary>The older signed tree's size (required).</summary>
    public long? From { get; set; }
    /// <summary>The newer signed tree's size (required, at least <c>from</c>).</summary>
    public long? To { get; set; }
}

public sealed class ConsistencyProofValidator : Validator<ConsistencyProofRequest>
{
    public ConsistencyProofValidator()
    {
        RuleFor(x => x.From).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(x => x.To).NotNull().GreaterThanOrEqualTo(1);
        RuleFor(x => x).Must(x => x.From is null || x.To is null || x.From <= x.To).OverridePropertyName("from").WithMessage("from is at most to.");
    }
}

/// <summary>RFC 9162 2.1.4: the proof (base64 hashes) that the tree of size <c>from</c> is a prefix of the tree of size <c>to</c>.</summary>
public sealed record ConsistencyProof(long From, long To, IReadOnlyList<string> Proof);

/// <summary>
/// GET /audit/proofs/consistency: prove a later signed tree extends an earlier one (the log was only appended to), from
/// the later checkpoint's kept tree and the chunk at the earlier one's edge, read back and checked.
/// </summary>
public sealed class ConsistencyProofEndpoint(EventLedger ledger, IQuerySession session) : Endpoint<ConsistencyProofRequest, ConsistencyProof>
{
    public override void Configure()
    {
        Get("/audit/proofs/consistency");
        Roles(R.Auditor);
        Description(b => b.Read<ConsistencyProof>("Audit", "An RFC 9162 consistency proof between two signed checkpoints", onCase: false)
            .Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(ConsistencyProofRequest req, CancellationToken ct)
    {
        if (await session.LoadAsync<CheckpointRecord>(req.To!.Value, ct) is not { } to)
        {
            await CheckpointAnswers.NoSuchCheckpointAsync(HttpContext, "the tree size 'to'");
            return;
        }
        if (await ledger.TreeAsync(to, ct) is not { } tree || await tree.ConsistencyProofAsync(req.From!.Value, ct) is not { } proof)
        {
            await CheckpointAnswers.NoLongerMatchesAsync(HttpContext, "The events up to checkpoint 'to' are not the tree it signed");
            return;
        }
        await EndpointResults.SendJsonAsync(HttpContext, new ConsistencyProof(req.From!.Value, to.Id, [.. proof.Select(Convert.ToBase64String)]), StatusCodes.Status200OK);
    }
}
