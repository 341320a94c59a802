using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using Polly;
using Polly.Retry;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>The <c>Commands</c> configuration section.</summary>
public sealed class CommandOptions
{
    public int MaxDecisions { get; init; } = CaseCommandRunner.DefaultMaxDecisions;

    /// <summary>
    /// <c>Commands__GroupCommit</c> (default true): commit the commands that write only the case, its list row and their
    /// key's answer together in one statement (<see cref="CaseAppendQueue"/>). False commits every command through Marten
    /// (slower; the way out if a Marten upgrade changes what the group statement assumes).
    /// </summary>
    public bool GroupCommit { get; init; } = true;
}

/// <summary>How a command on a case ended.</summary>
public enum CommandStatus
{
    Done,
    CaseNotFound,
    Refused,
    StaleVersion,
    /// <summary>A concurrent request with the same Idempotency-Key committed first; its stored answer is the answer.</summary>
    AnsweredBefore,

    /// <summary>The case kept changing under the command more times than it is decided again: the server's condition (503).</summary>
    Busy,
}

/// <summary>A result that can say, for the log, how its command ended (no personal data: a status and rule IDs).</summary>
public interface IHasOutcome
{
    string Outcome { get; }

    /// <summary>How the command ended, as a <see cref="CommandStatus"/> name.</summary>
    string Status { get; }

    /// <summary>The rule IDs of a refusal; empty otherwise.</summary>
    IReadOnlyList<string> RuleIds { get; }
}

/// <summary>
/// The result of a command: the response and new stream version, or why nothing was appended; for
/// <see cref="CommandStatus.AnsweredBefore"/>, the answer remembered for the key (<see cref="EarlierAnswer"/>).
/// </summary>
public sealed record CaseCommandResult<T>(CommandStatus Status, T? Value, long Version, Refusal? Refusal, IdempotencyRecord? EarlierAnswer = null) : IHasOutcome
{
    public string Outcome => Refusal is { RuleIds.Count: > 0 } r ? $"{Status} ({string.Join(", ", r.RuleIds)})" : Status.ToString();

    string IHasOutcome.Status => Status.ToString();

    IReadOnlyList<string> IHasOutcome.RuleIds => Refusal?.RuleIds ?? [];
}

/// <summary>Factories for <see cref="CaseCommandResult{T}"/>.</summary>
public static class CaseCommandResult
{
    public static CaseCommandResult<T> Done<T>(T value, long version) => new(CommandStatus.Done, value, version, null);
    public static CaseCommandResult<T> Fail<T>(CommandStatus status, Refusal? refusal = null) => new(status, default, 0, refusal);
    public static CaseCommandResult<T> AnsweredBefore<T>(IdempotencyRecord earlier) => new(CommandStatus.AnsweredBefore, default, 0, null, earlier);
}

/// <summary>
/// The one write path for cases: load → NEED-TO-KNOW and decide → stage → commit, retried. The loop itself and the
/// decision are <see cref="CaseCommandLoop{TCommand, TResponse}"/>'s (so a slice's decide function is few frames from
/// its endpoint); this class holds what every attempt shares: staging, committing and how an attempt ends. Each attempt reads the case
/// (state, version and chain head in one statement, or this process's memory of it), runs the pure decide function,
/// stages what it commits with <see cref="CaseStager"/> (the only staging there is), and commits it in one transaction:
/// through the group statement (<see cref="CaseAppendQueue"/>) unless an event feeds Marten's other projections, then
/// through Marten. So a command's effect and its remembered answer land together or not at all; a refusal appends and
/// remembers nothing.
/// <list type="bullet">
/// <item>Without If-Match a lost version race is not an error: the case is read again and the command decided again
/// (the decide function is pure), a bounded number of times. With If-Match a lost race is 412.</item>
/// <item>A transient database failure is retried. A failure during the commit is ambiguous (the commit may have landed
/// before the connection died), so the next try first asks whether this attempt's events are in the store, and
/// answers from them if they are: a retry never appends twice.</item>
/// <item>A concurrent request with the same Idempotency-Key that committed first is answered with its stored response.</item>
/// </list>
/// </summary>
public sealed class CaseCommandRunner(
    IDocumentStore store,
    IClock clock,
    IOptions<PolicyOptions> policy,
    IOptions<IdempotencyKeyOptions> idempotency,
    CaseAppendQueue appends,
    CaseStager stager,
    Privacy.CaseKeyRing keys,
    IOptions<CommandOptions> commands,
    ILogger<CaseCommandRunner> logger)
{
    /// <summary>
    /// How many times a command without If-Match is decided (<c>Commands__MaxDecisions</c>, default 40). Each lost race
    /// means another writer's command landed, and the losers wait a growing, jittered moment before trying again, so a
    /// run of this many losses in a row would take a case receiving commands faster than PostgreSQL can commit them;
    /// then the answer is 503 with Retry-After (the server's condition), never a refusal.
    /// </summary>
    public const int DefaultMaxDecisions = 40;

    /// <summary>Transient database failures, retried around each attempt (<see cref="CaseCommandLoop{TCommand, TResponse}"/>).</summary>
    internal static readonly ResiliencePipeline TransientRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(DatabaseFailures.IsTransient),
            MaxRetryAttempts = 5,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>Stands for 412: the version the caller sent in If-Match is no longer the case's version.</summary>
    internal static readonly Refusal StaleVersion = Refusal.Conflict("If-Match is stale.");

    /// <summary>The case as this process last committed it, or null.</summary>
    internal LoadedCase? Remembered(Guid caseId) => appends.Remembered(caseId);

    /// <summary>The case as stored (state, version and chain head in one statement), or null when there is none.</summary>
    internal Task<LoadedCase?> LoadAsync(Guid caseId, CancellationToken ct) => appends.LoadAsync(caseId, ct);

    /// <summary>Only a hand-made change does this: the case document is not the one its events make.</summary>
    internal CaseCommandOutcome<T> OutOfStep<T>()
    {
        logger.LogWarning("A case's document is out of step with its events; commands on it wait until it is rebuilt");
        return CaseCommandOutcome<T>.OutOfStep;
    }

    /// <summary>
    /// The case's key read now (awaited) if this process does not hold it fresh, so staging seals without a query of its
    /// own; false when the case has none (a new case's id, or a destroyed case's).
    /// </summary>
    internal async Task<bool> PrepareKeyAsync(Guid caseId, CancellationToken ct) => !(await keys.PrepareAsync([caseId], ct)).Contains(caseId);

    /// <summary>An accepted decision's events staged (<see cref="CaseStager"/>); null when the case's key has gone.</summary>
    internal StagedCommand? Stage(Guid caseId, CaseState? before, string? chainHead, IReadOnlyList<ICaseEvent> events, bool makesKey)
    {
        try
        {
            return stager.Stage(caseId, before, chainHead, events, makesKey);
        }
        catch (Privacy.CaseKeyGoneException)
        {
            // Decided on a remembered case whose key another instance has since destroyed: decided again as stored.
            return null;
        }
    }

    /// <summary>
    /// Commits a staged command with its Idempotency-Key's record (none without a key): the answer it gives, committed
    /// with its events. While the commit is under way the attempt holds it as unconfirmed, so that a failure on the
    /// wire is checked (did it land?) before anything is decided again.
    /// </summary>
    internal async Task<CaseCommandOutcome<T>> CommitAsync<T>(CaseCommandAttempt<T> attempt, CaseCommandOutcome<T> outcome)
    {
        var staged = outcome.Commit!;
        var answer = attempt.Remembering?.AnswerFor(outcome.Value!, staged.VersionAfter, clock.GetCurrentInstant(), idempotency.Value.Expiry);
        if (answer is not null && staged.DestroysKey) (answer.ClearBody, answer.Body) = (answer.Body, "");
        outcome = outcome with { Commit = staged = staged with { Answer = answer, ReplacesExpiredAnswer = attempt.Replacing } };
        attempt.Unconfirmed = outcome;
        var committed = await CommitAsync(staged, attempt.Decisions);
        // A new case's key is its key once it landed with the case's first events, and never otherwise.
        if (committed && staged.NewKeyBytes is { } newKey) keys.Confirm(staged.CaseId, newKey);
        if (committed && staged.DestroysKey) keys.Destroyed(staged.CaseId);
        attempt.Unconfirmed = null;
        return committed ? outcome : outcome with { Kind = CaseCommandOutcome.Conflict };
    }

    /// <summary>
    /// How an attempt ends the command, or null to decide it again (after a short, jittered wait unless this process
    /// committed the command it lost to, whose state it then decides on at once).
    /// </summary>
    internal async Task<CaseCommandResult<T>?> ConcludeAsync<T>(CaseCommandAttempt<T> attempt, CaseCommandOutcome<T> outcome, CancellationToken ct)
    {
        var remembering = attempt.Remembering;
        switch (outcome.Kind)
        {
            case CaseCommandOutcome.Staged:
                return CaseCommandResult.Done(outcome.Value!, outcome.Commit!.VersionAfter);
            case CaseCommandOutcome.NotFound:
                return CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
            case CaseCommandOutcome.OutOfStep:
                return CaseCommandResult.Fail<T>(CommandStatus.Busy);
            case CaseCommandOutcome.Refused:
                // A refusal may be what a concurrent twin's commit left behind (say, NO-DUPLICATE-ESCALATION):
                // if that twin carried this request's Idempotency-Key, its answer is this request's answer. Not
                // for a restricted case: NEED-TO-KNOW comes before any remembered answer (RESTRICTION-OWNERS).
                return outcome.Refusal!.Kind != RefusalKind.Restricted && remembering is not null
                    && (await remembering.FindEarlierAsync(store, clock.GetCurrentInstant(), ct)).Earlier is { } before
                    ? CaseCommandResult.AnsweredBefore<T>(before)
                    : CaseCommandResult.Fail<T>(CommandStatus.Refused, outcome.Refusal);
        }

        // Lost a race. To a command this process committed first (this process remembers the case at a later version
        // than the one decided on): decided again at once, on the state that command left. Otherwise what this process
        // remembers is stale, and the case is read again.
        var behind = outcome.Commit is { } tried && appends.Remembered(attempt.CaseId) is { } known && known.Version > tried.VersionBefore;
        if (!behind) appends.Forget(attempt.CaseId);
        if (remembering is not null)
        {
            var (earlier, expired) = await remembering.FindEarlierAsync(store, clock.GetCurrentInstant(), ct);
            if (earlier is not null) return CaseCommandResult.AnsweredBefore<T>(earlier);
            // The key's old, expired record is what collided: try again, replacing it.
            if (expired && !attempt.Replacing)
            {
                attempt.Replacing = true;
                attempt.Decisions++;
                return null;
            }
        }
        if (attempt.OnConflict == StaleVersion)
        {
            // Marten refuses an expected version on a stream that does not exist as it refuses a stale one.
            return await ExistsAsync(attempt.CaseId, ct)
                ? CaseCommandResult.Fail<T>(CommandStatus.StaleVersion)
                : CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
        }
        if (attempt.OnConflict is not null) return CaseCommandResult.Fail<T>(CommandStatus.Refused, attempt.OnConflict);
        if (attempt.Decisions >= commands.Value.MaxDecisions)
        {
            // Not expected in practice; say so rather than loop for ever.
            logger.LogWarning("A command lost {Count} version races in a row", attempt.Decisions);
            return CaseCommandResult.Fail<T>(CommandStatus.Busy);
        }
        logger.LogDebug("A command lost a version race; deciding again (try {Try})", attempt.Decisions + 1);
        if (!behind) await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + Math.Min(50, 4 * attempt.Decisions))), ct);
        attempt.Decisions++;
        return null;
    }

    /// <summary>
    /// Commits a staged command; false when the case's version moved (or the new case's id, or the key, was taken).
    /// Once started, a commit is not cancelled by the caller going away: it lands or fails on its own.
    /// </summary>
    private async Task<bool> CommitAsync(StagedCommand staged, int decisions)
    {
        // What is serialised from here on is sealed under this case's key (PRIVACY-AT-REST).
        using var scope = Privacy.CaseKeyScope.Enter(staged.CaseId, staged.NewKeyBytes);
        try
        {
            if (staged.VersionBefore > 0 && appends.Commits(staged.Events)) return await appends.AppendAsync(appends.Prepare(staged), decisions) == AppendStatus.Appended;

            // Written by Marten: what this process remembers of the case is no longer the case.
            appends.Forget(staged.CaseId);
            await using var session = store.LightweightSession();
            var events = staged.Events.Select(e => (object)e.Data).ToArray();
            var stream = staged.VersionBefore == 0
                ? session.Events.StartStream<CaseStream>(staged.CaseId, events)
                : session.Events.Append(staged.CaseId, staged.VersionAfter, events);
            for (var i = 0; i < staged.Events.Count; i++)
            {
                stream.Events[i].Id = staged.Events[i].Id;
                stream.Events[i].SetHeader(EventHashChain.Header, staged.Events[i].Hash);
            }
            if (staged.NewKey is { } key) session.Insert(key);
            if (staged.DestroysKey)
            {
                // DESTRUCTION-TWO-LEADS: the case's key goes with the event that records it, and the remembered answers
                // sealed under it with them (a retried request is decided again, and refused).
                session.Delete<Privacy.CaseKey>(staged.CaseId);
                var sealedUnderIt = Privacy.CaseKeyRing.SealedPrefixOf(staged.CaseId);
                session.DeleteWhere<IdempotencyRecord>(r => r.Body.StartsWith(sealedUnderIt));
            }
            session.Store(staged.Summary);
            foreach (var row in staged.AuditRows) session.Store(row);
            foreach (var e in staged.Events) Features.Reports.DecisionCounts.Count(session, e.Data);
            if (staged.Answer is { } answer)
            {
                // Insert, so two requests with one key cannot both commit; an expired record of the key is replaced.
                if (staged.ReplacesExpiredAnswer) session.Store(answer);
                else session.Insert(answer);
            }
            await session.SaveChangesAsync(CancellationToken.None);
            return true;
        }
        catch (Exception e) when (DatabaseFailures.IsConflict(e) || e is Privacy.CaseKeyGoneException || e.InnerException is Privacy.CaseKeyGoneException)
        {
            // (A key gone while committing: destroyed by another instance; the case is read again, and refuses.)
            return false;
        }
    }

    /// <summary>Whether an event with this id is in the store: did a commit whose answer was lost land after all?</summary>
    internal async Task<bool> LandedAsync(Guid eventId, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var landed = await query.Events.QueryAllRawEvents().AnyAsync(e => e.Id == eventId, ct);
        logger.LogInformation("A commit that failed on the wire had {Outcome}", landed ? "landed" : "not landed");
        return landed;
    }

    private async Task<bool> ExistsAsync(Guid caseId, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        return await query.Events.FetchStreamStateAsync(caseId, ct) is not null;
    }

    internal CommandContext Context(Actor actor) => new(actor, clock.GetCurrentInstant(), policy.Value);
}

/// <summary>How one attempt at a command came out.</summary>
internal enum CaseCommandOutcome { Staged, NotFound, Refused, Conflict, OutOfStep }

/// <summary>What one attempt came to: for a staged command, its answer and what it commits.</summary>
internal sealed record CaseCommandOutcome<T>(CaseCommandOutcome Kind, T? Value, StagedCommand? Commit, Refusal? Refusal)
{
    public static readonly CaseCommandOutcome<T> NotFound = new(CaseCommandOutcome.NotFound, default, null, null);
    public static readonly CaseCommandOutcome<T> Conflict = new(CaseCommandOutcome.Conflict, default, null, null);
    public static readonly CaseCommandOutcome<T> OutOfStep = new(CaseCommandOutcome.OutOfStep, default, null, null);
    public static CaseCommandOutcome<T> Refused(Refusal refusal) => new(CaseCommandOutcome.Refused, default, null, refusal);
    public static CaseCommandOutcome<T> Staged(T value, StagedCommand commit) => new(CaseCommandOutcome.Staged, value, commit, null);
}

/// <summary>
/// What the attempts at one command share: which case, the key's answer to remember, what a lost race means
/// (<see cref="OnConflict"/>: 412 for If-Match, "already opened" for a new case, null to decide again), how many times
/// it has been decided, whether the key's expired record is to be replaced, and a commit not yet confirmed.
/// </summary>
internal sealed class CaseCommandAttempt<T>(Guid caseId, Remembering? remembering, Refusal? onConflict)
{
    public Guid CaseId { get; } = caseId;
    public Remembering? Remembering { get; } = remembering;
    public Refusal? OnConflict { get; } = onConflict;
    public int Decisions { get; set; } = 1;
    public bool Replacing { get; set; }
    public CaseCommandOutcome<T>? Unconfirmed { get; set; }
}
