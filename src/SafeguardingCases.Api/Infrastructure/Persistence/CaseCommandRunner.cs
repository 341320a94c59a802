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
/// The one write path for cases: load → NEED-TO-KNOW and decide → stage → commit, retried. Each attempt reads the case
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

    private static readonly ResiliencePipeline TransientRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(DatabaseFailures.IsTransient),
            MaxRetryAttempts = 5,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>Starts a new case stream from a decision that needs no prior state.</summary>
    public Task<CaseCommandResult<T>> StartAsync<T>(Guid caseId, Actor actor, Remembering? remembering, Func<CommandContext, Decision> decide,
        Func<CaseState, T> respond, CancellationToken ct) =>
        RunAttemptsAsync<T>(_ => Task.FromResult(Staged(caseId, null, null, decide(Context(actor)), (after, _, _) => respond(after))),
            caseId, remembering, AlreadyOpened, ct);

    /// <summary>A case id that is already taken, with no remembered answer to give: the case was opened before.</summary>
    private static readonly Refusal AlreadyOpened = Refusal.Conflict(
        "This case was already opened. Repeat the request with the same Idempotency-Key within its expiry to get the case's id.");

    /// <summary>
    /// Runs a command on an existing case. <paramref name="expectedVersion"/> comes from <c>If-Match</c>. NEED-TO-KNOW
    /// is decided on the state the command is decided on, in the same attempt, so a restriction that lands first
    /// is never missed; only breaking the glass (<paramref name="needToKnow"/> false) is open to staff not named.
    /// <paramref name="remembering"/> (from the edge; null without an Idempotency-Key) is committed with the effect.
    /// </summary>
    public Task<CaseCommandResult<T>> RunAsync<T>(
        Guid caseId, long? expectedVersion, Actor actor, Remembering? remembering,
        Func<CaseState, CommandContext, Decision> decide,
        Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond,
        CancellationToken ct, bool needToKnow = true) =>
        RunAttemptsAsync<T>(async token =>
        {
            // The case as this process last committed it, when remembered: a decision on it commits only if the case
            // is still at that version. What would refuse, or answer 412, is decided again on the case as stored.
            var loaded = appends.Remembered(caseId);
            for (var remembered = loaded is not null; ; (loaded, remembered) = (null, false))
            {
                loaded ??= await appends.LoadAsync(caseId, token);
                if (loaded is null) return Outcome<T>.NotFound;
                if (!loaded.InSync)
                {
                    // Only a hand-made change does this: the case document is not the one its events make.
                    logger.LogWarning("A case's document is out of step with its events; commands on it wait until it is rebuilt");
                    return Outcome<T>.OutOfStep;
                }
                var decision = DecideOn(loaded.Stream.State, loaded.Version, expectedVersion, actor, needToKnow, decide);
                if (decision is { Refusal: null }) return Staged(caseId, loaded.Stream.State, loaded.Stream.ChainHead, decision, respond);
                if (remembered) continue;
                return decision is null ? Outcome<T>.Conflict : Outcome<T>.Refused(decision.Refusal!);
            }
        }, caseId, remembering, expectedVersion is null ? null : StaleVersion, ct);

    /// <summary>
    /// NEED-TO-KNOW first (RESTRICTION-OWNERS: before the version, so someone not named learns only that the case is
    /// restricted), then <c>If-Match</c> (null: the version moved), then the command's own decide function, and for a
    /// break-glass holder whether what it would record is on the emergency path (BREAK-GLASS). All on the one state
    /// the command is decided on, so a restriction that landed before that state is never missed.
    /// </summary>
    private Decision? DecideOn(CaseState state, long version, long? expectedVersion, Actor actor, bool needToKnow,
        Func<CaseState, CommandContext, Decision> decide)
    {
        var context = Context(actor);
        var basis = AccessBasis.Role;
        if (needToKnow)
        {
            (var seen, var restricted) = Rules.NeedToKnow(state, actor, context.Now);
            if (restricted is not null) return restricted;
            basis = seen!.Value;
        }
        if (expectedVersion is { } expected && expected != version) return null;
        var decision = decide(state, context);
        if (Rules.NotDestroyed(state, decision.Events) is { } destroyed) return destroyed;
        return basis == AccessBasis.BreakGlass && decision.Refusal is null && Rules.BreakGlassPath(state, decision.Events) is { } outside
            ? outside
            : decision;
    }

    /// <summary>An accepted decision staged (<see cref="CaseStager"/>) with the answer it gives.</summary>
    private Outcome<T> Staged<T>(Guid caseId, CaseState? before, string? chainHead, Decision decision,
        Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond)
    {
        if (decision.Refusal is { } refusal) return Outcome<T>.Refused(refusal);
        StagedCommand staged;
        try
        {
            staged = stager.Stage(caseId, before, chainHead, decision.Events);
        }
        catch (Privacy.CaseKeyGoneException)
        {
            // Decided on a remembered case whose key another instance has since destroyed: decided again as stored.
            return Outcome<T>.Conflict;
        }
        return Outcome<T>.Staged(respond(staged.After.State, decision.Events, staged.VersionAfter), staged);
    }

    /// <summary>
    /// The staged command with its Idempotency-Key's record (none without a key): the answer it gives, committed with its
    /// events; <paramref name="replacing"/> when the key's expired record is to be replaced, not collided with.
    /// </summary>
    private StagedCommand WithAnswer(StagedCommand staged, object? value, Remembering? remembering, bool replacing)
    {
        var answer = remembering?.AnswerFor(value!, staged.VersionAfter, clock.GetCurrentInstant(), idempotency.Value.Expiry);
        if (answer is not null && staged.DestroysKey) (answer.ClearBody, answer.Body) = (answer.Body, "");
        return staged with { Answer = answer, ReplacesExpiredAnswer = replacing };
    }

    /// <summary>Stands for 412: the version the caller sent in If-Match is no longer the case's version.</summary>
    private static readonly Refusal StaleVersion = Refusal.Conflict("If-Match is stale.");

    /// <summary>
    /// Runs attempts until one commits, is refused, or loses a race it may not decide again (<paramref name="onConflict"/>
    /// set: the If-Match version, or a new stream's id, was taken). Transient failures are retried by Polly around each
    /// attempt; an attempt whose commit failed ambiguously is checked before anything is decided again.
    /// </summary>
    private async Task<CaseCommandResult<T>> RunAttemptsAsync<T>(
        Func<CancellationToken, Task<Outcome<T>>> attempt, Guid caseId, Remembering? remembering, Refusal? onConflict, CancellationToken ct)
    {
        // Whether the key's record, when this request's answer is committed, replaces an expired one of the same key.
        var replacing = false;
        for (var decisions = 1; ; decisions++)
        {
            Outcome<T>? unconfirmed = null;
            var outcome = await TransientRetry.ExecuteAsync(async token =>
            {
                // The last commit failed on the wire: it may have landed. If it did, that is the answer.
                if (unconfirmed is { } previous && await LandedAsync(previous.Commit!.Events[0].Id, token)) return previous;
                unconfirmed = null;
                var staged = await attempt(token);
                if (staged.Kind != OutcomeKind.Staged) return staged;
                staged = staged with { Commit = WithAnswer(staged.Commit!, staged.Value, remembering, replacing) };
                unconfirmed = staged;
                var committed = await CommitAsync(staged.Commit!, decisions);
                // A new case's key is its key once it landed with the case's first events, and never otherwise.
                if (committed && staged.Commit!.NewKeyBytes is { } newKey) keys.Confirm(caseId, newKey);
                if (committed && staged.Commit!.DestroysKey) keys.Forget(caseId);
                unconfirmed = null;
                return committed ? staged : staged with { Kind = OutcomeKind.Conflict };
            }, ct);

            switch (outcome.Kind)
            {
                case OutcomeKind.Staged:
                    return CaseCommandResult.Done(outcome.Value!, outcome.Commit!.VersionAfter);
                case OutcomeKind.NotFound:
                    return CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
                case OutcomeKind.OutOfStep:
                    return CaseCommandResult.Fail<T>(CommandStatus.Busy);
                case OutcomeKind.Refused:
                    // A refusal may be what a concurrent twin's commit left behind (say, NO-DUPLICATE-ESCALATION):
                    // if that twin carried this request's Idempotency-Key, its answer is this request's answer. Not
                    // for a restricted case: NEED-TO-KNOW comes before any remembered answer (RESTRICTION-OWNERS).
                    return outcome.Refusal!.Kind != RefusalKind.Restricted && remembering is not null
                        && (await remembering.FindEarlierAsync(store, clock.GetCurrentInstant(), ct)).Earlier is { } before
                        ? CaseCommandResult.AnsweredBefore<T>(before)
                        : CaseCommandResult.Fail<T>(CommandStatus.Refused, outcome.Refusal);
                case OutcomeKind.Conflict:
                    // Lost to a command this process committed first (this process remembers the case at a later version
                    // than the one decided on): decided again at once, on the state that command left. Otherwise what
                    // this process remembers is stale, and the case is read again.
                    var behind = outcome.Commit is { } tried && appends.Remembered(caseId) is { } known && known.Version > tried.VersionBefore;
                    if (!behind) appends.Forget(caseId);
                    if (remembering is not null)
                    {
                        var (earlier, expired) = await remembering.FindEarlierAsync(store, clock.GetCurrentInstant(), ct);
                        if (earlier is not null) return CaseCommandResult.AnsweredBefore<T>(earlier);
                        // The key's old, expired record is what collided: try again, replacing it.
                        if (expired && !replacing)
                        {
                            replacing = true;
                            break;
                        }
                    }
                    if (onConflict == StaleVersion)
                    {
                        // Marten refuses an expected version on a stream that does not exist as it refuses a stale one.
                        return await ExistsAsync(caseId, ct)
                            ? CaseCommandResult.Fail<T>(CommandStatus.StaleVersion)
                            : CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
                    }
                    if (onConflict is not null) return CaseCommandResult.Fail<T>(CommandStatus.Refused, onConflict);
                    if (decisions >= commands.Value.MaxDecisions)
                    {
                        // Not expected in practice; say so rather than loop for ever.
                        logger.LogWarning("A command lost {Count} version races in a row", decisions);
                        return CaseCommandResult.Fail<T>(CommandStatus.Busy);
                    }
                    logger.LogDebug("A command lost a version race; deciding again (try {Try})", decisions + 1);
                    if (!behind) await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + Math.Min(50, 4 * decisions))), ct);
                    break;
            }
        }
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
    private async Task<bool> LandedAsync(Guid eventId, CancellationToken ct)
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

    private CommandContext Context(Actor actor) => new(actor, clock.GetCurrentInstant(), policy.Value);

    private enum OutcomeKind { Staged, NotFound, Refused, Conflict, OutOfStep }

    /// <summary>What one attempt came to: for a staged command, its answer and what it commits.</summary>
    private sealed record Outcome<T>(OutcomeKind Kind, T? Value, StagedCommand? Commit, Refusal? Refusal)
    {
        public static readonly Outcome<T> NotFound = new(OutcomeKind.NotFound, default, null, null);
        public static readonly Outcome<T> Conflict = new(OutcomeKind.Conflict, default, null, null);
        public static readonly Outcome<T> OutOfStep = new(OutcomeKind.OutOfStep, default, null, null);
        public static Outcome<T> Refused(Refusal refusal) => new(OutcomeKind.Refused, default, null, refusal);
        public static Outcome<T> Staged(T value, StagedCommand commit) => new(OutcomeKind.Staged, value, commit, null);
    }
}
