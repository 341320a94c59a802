using FastEndpoints;
using FluentValidation;
using Marten;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Audit.Ledger;

/// <summary>
/// The key that verifies checkpoints: its id and the PEM (SubjectPublicKeyInfo) for openssl; and the keys that signed
/// checkpoints before it was replaced (<c>Ledger__PreviousPublicKeysPath</c>), each by the <c>keyId</c> a checkpoint names.
/// </summary>
public sealed record PublicKeyResponse(string KeyId, string PublicKeyPem, IReadOnlyList<SigningPublicKey> PreviousKeys);

/// <summary>A key that signed checkpoints before the current one: its id and its PEM.</summary>
public sealed record SigningPublicKey(string KeyId, string PublicKeyPem);

/// <summary>POST /audit/checkpoints: sign a checkpoint of every event so far now (the latest, when nothing is new).</summary>
public sealed class MakeCheckpointEndpoint(EventLedger ledger) : EndpointWithoutRequest<Checkpoint>
{
    public override void Configure()
    {
        Post("/audit/checkpoints");
        Roles(R.Auditor);
        Description(b => b.Read<Checkpoint>("Audit", "Sign a checkpoint of the event log now", onCase: false)
            .Produces<Problem>(404, Problems.ContentType).Produces<RefusalProblem>(409, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        CheckpointRecord? record;
        try
        {
            record = await ledger.MakeCheckpointAsync(ct);
        }
        catch (LedgerForkedException e)
        {
            await Problems.WriteAsync(HttpContext, Problems.Create(409, "The event log was altered",
                $"The events no longer extend checkpoint {e.TreeSize}; verify the ledger against it. No checkpoint was signed."));
            return;
        }
        if (record is null)
        {
            await Problems.WriteAsync(HttpContext, Problems.Create(404, "No events", "The event log is empty: there is nothing to sign."));
            return;
        }
        await EndpointResults.SendJsonAsync(HttpContext, record.Checkpoint, StatusCodes.Status200OK);
    }
}

/// <summary>GET /audit/checkpoints/latest.</summary>
public sealed class LatestCheckpointEndpoint(IQuerySession session) : EndpointWithoutRequest<Checkpoint>
{
    public override void Configure()
    {
        Get("/audit/checkpoints/latest");
        Roles(R.Auditor);
        Description(b => b.Read<Checkpoint>("Audit", "The latest signed checkpoint", onCase: false).Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct) =>
        await CheckpointAnswers.SendAsync(HttpContext, await EventLedger.LatestAsync(session, ct));
}

/// <summary>GET /audit/checkpoints/{treeSize}.</summary>
public sealed class CheckpointBySizeEndpoint(IQuerySession session) : EndpointWithoutRequest<Checkpoint>
{
    public override void Configure()
    {
        Get("/audit/checkpoints/{treeSize}");
        Roles(R.Auditor);
        Description(b => b.Read<Checkpoint>("Audit", "The signed checkpoint of a tree size", onCase: false).Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct) =>
        await CheckpointAnswers.SendAsync(HttpContext, await session.LoadAsync<CheckpointRecord>(Route<long>("treeSize"), ct));
}

/// <summary>GET /audit/checkpoints/public-key.</summary>
public sealed class PublicKeyEndpoint(EventLedger ledger) : EndpointWithoutRequest<PublicKeyResponse>
{
    public override void Configure()
    {
        Get("/audit/checkpoints/public-key");
        Roles(R.Auditor);
        Description(b => b.Read<PublicKeyResponse>("Audit", "The public key that verifies checkpoints (PEM), and the keys that signed before it", onCase: false), clearDefaults: true);
    }

    public override Task HandleAsync(CancellationToken ct) =>
        EndpointResults.SendJsonAsync(HttpContext, new PublicKeyResponse(ledger.KeyId, ledger.PublicKeyPem,
            [.. ledger.PreviousKeys.Select(k => new SigningPublicKey(k.KeyId, k.Key.ExportSubjectPublicKeyInfoPem()))]), StatusCodes.Status200OK);
}

/// <summary><c>treeSize</c>: the signed checkpoint to verify against.</summary>
public sealed class VerifyLedgerRequest
{
    /// <summary>The signed checkpoint to verify against, by its tree size (required).</summary>
    public long? TreeSize { get; set; }
}

public sealed class VerifyLedgerValidator : Validator<VerifyLedgerRequest>
{
    public VerifyLedgerValidator() => RuleFor(x => x.TreeSize).NotNull().GreaterThanOrEqualTo(1);
}

public sealed record BadLeaf(Guid CaseId, long Version);

public sealed record LedgerVerification(bool Valid, long TreeSize, BadLeaf? FirstBadLeaf);

/// <summary>
/// GET /audit/ledger/verify?treeSize=N: recompute every leaf from the events as PostgreSQL holds them now and compare
/// the root with the signed checkpoint of size N. One at a time per instance; another call meanwhile is 429.
/// </summary>
public sealed class VerifyLedgerEndpoint(EventLedger ledger, IQuerySession session) : Endpoint<VerifyLedgerRequest, LedgerVerification>, ILogsCaseAccess
{
    public override void Configure()
    {
        Get("/audit/ledger/verify");
        Roles(R.Auditor);
        Description(b => b.Read<LedgerVerification>("Audit", "Re-verify the whole event log against a signed checkpoint", onCase: false)
            .Produces<Problem>(404, Problems.ContentType).Produces<Problem>(409, Problems.ContentType).Produces<Problem>(429, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(VerifyLedgerRequest req, CancellationToken ct)
    {
        if (await session.LoadAsync<CheckpointRecord>(req.TreeSize!.Value, ct) is not { } checkpoint)
        {
            await CheckpointAnswers.NoSuchCheckpointAsync(HttpContext);
            return;
        }
        if (ledger.VerifierFor(checkpoint.Checkpoint.KeyId) is null)
        {
            // Signed before the ledger's key was replaced, and the earlier key's public key not given: whether the log
            // changed cannot be told here, and "invalid" would send auditors after tampering that never happened.
            await Problems.WriteAsync(HttpContext, Problems.Create(409, "Signed with a key this service does not hold",
                $"The checkpoint of {checkpoint.Id} events was signed with key {checkpoint.Checkpoint.KeyId}; this service signs with key " +
                $"{ledger.KeyId} and holds {(ledger.PreviousKeys.Count == 0 ? "no other" : $"{ledger.PreviousKeys.Count} earlier ones, none of them that key")}. If that key was this service's before, add its public key to Ledger__PreviousPublicKeysPath " +
                "and ask again (or verify offline with verify-ledger and that key); if it never was, the checkpoint is not one this service signed.",
                type: "unknown-signing-key"));
            return;
        }
        using var turn = ledger.TryBeginVerification();
        if (turn is null)
        {
            // Each verification reads and rehashes every event: one at a time per instance.
            HttpContext.Response.Headers.RetryAfter = "5";
            await Problems.WriteAsync(HttpContext, Problems.Create(429, "A verification is already running",
                "The ledger is being verified by another request; ask again when it has finished (Retry-After seconds)."));
            return;
        }
        var (valid, bad) = await ledger.VerifyAsync(checkpoint, ct);
        // The first bad leaf names a case: the access log records it (RESTRICTION-OWNERS).
        if (bad is { } shown) CaseAccessFeature.Of(HttpContext)?.Shown.Add(shown.CaseId);
        await EndpointResults.SendJsonAsync(HttpContext,
            new LedgerVerification(valid, checkpoint.Id, bad is { } b ? new BadLeaf(b.CaseId, b.Version) : null), StatusCodes.Status200OK);
    }
}

/// <summary>The answers the ledger's routes share.</summary>
internal static class CheckpointAnswers
{
    public static Task SendAsync(HttpContext http, CheckpointRecord? record) => record is null
        ? NoSuchCheckpointAsync(http)
        : EndpointResults.SendJsonAsync(http, record.Checkpoint, StatusCodes.Status200OK);

    /// <summary>404: no checkpoint was signed at the tree size asked for.</summary>
    public static Task NoSuchCheckpointAsync(HttpContext http, string sizeName = "this size") =>
        Problems.WriteAsync(http, Problems.Create(404, "No such checkpoint", $"No checkpoint has been signed at {sizeName} yet."));

    /// <summary>404: the events up to the checkpoint are no longer the tree it signed, so no proof can be made from them.</summary>
    public static Task NoLongerMatchesAsync(HttpContext http, string what) =>
        Problems.WriteAsync(http, Problems.Create(404, "Not in this tree", $"{what} (or the log no longer matches the checkpoint: verify the ledger)."));
}
