using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using Polly;
using Polly.Retry;
using SafeguardingCases.Api.Features.Audit.Overrides;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>The <c>Commands</c> configuration section.</summary>
public sealed class CommandOptions
{
    public int MaxDecisions { get; init; } = CaseCommandRunner.DefaultMaxDecisions;
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

/// <summary>The result of a command: the response and new stream version, or why nothing was appended.</summary>
public sealed record CaseCommandResult<T>(CommandStatus Status, T? Value, long Version, Refusal? Refusal) : IHasOutcome
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
}

/// <summary>
/// The one write path for cases. Each attempt is one unit of work: fetch the case (state, version and chain head in
/// one round trip), run the pure decide function, and commit in one transaction the events with their hashes, the
/// case list row and the Idempotency-Key's answer. So a command's effect and its remembered answer land together or
/// not at all; a refusal appends and remembers nothing.
/// <list type="bullet">
/// <item>Without If-Match a lost version race is not an error: the case is fetched again and the command decided
/// again (the decide function is pure), a bounded number of times. With If-Match a lost race is 412.</item>
/// <item>A transient database failure is retried with a fresh session. A failure during the commit is ambiguous (the
/// commit may have landed before the connection died), so the next try first asks whether this attempt's events are
/// in the store, and answers from them if they are: a retry never appends twice.</item>
/// <item>A concurrent request with the same Idempotency-Key that committed first is answered with its stored response.</item>
/// </list>
/// </summary>
public sealed class CaseCommandRunner(
    IDocumentStore store,
    IClock clock,
    IOptions<PolicyOptions> policy,
    IdempotencyScope idempotency,
    CaseAppendQueue appends,
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

    private int MaxDecisions => commands.Value.MaxDecisions;

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
    public Task<CaseCommandResult<T>> StartAsync<T>(Guid caseId, Actor actor, Func<CommandContext, Decision> decide,
        Func<CaseState, T> respond, CancellationToken ct) =>
        RunAttemptsAsync<T>((unit, _) =>
        {
            var session = unit.Session;
            var decision = decide(Context(actor));
            if (decision.Refusal is { } refusal) return Task.FromResult(Outcome<T>.Refused(refusal));
            session.Events.StartStream<CaseStream>(caseId, [.. decision.Events]);
            return Task.FromResult(Stage(session, caseId, null, EventHashChain.Genesis, decision.Events, (after, _, _) => respond(after)));
        }, caseId, AlreadyOpened, ct);

    /// <summary>A case id that is already taken, with no remembered answer to give: the case was opened before.</summary>
    private static readonly Refusal AlreadyOpened = Refusal.Conflict(
        "This case was already opened. Repeat the request with the same Idempotency-Key within its expiry to get the case's id.");

    /// <summary>
    /// Runs a command on an existing case. <paramref name="expectedVersion"/> comes from <c>If-Match</c>. NEED-TO-KNOW
    /// is decided on the state the command is decided on, in the same attempt, so a restriction that lands first
    /// is never missed; only breaking the glass (<paramref name="needToKnow"/> false) is open to staff not named.
    /// The case is read in one statement; a command whose effect is only its events, the case and its list row is
    /// committed with others in one statement by <see cref="CaseAppendQueue"/>, any other through Marten.
    /// </summary>
    public Task<CaseCommandResult<T>> RunAsync<T>(
        Guid caseId, long? expectedVersion, Actor actor,
        Func<CaseState, CommandContext, Decision> decide,
        Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond,
        CancellationToken ct, bool needToKnow = true) =>
        RunAttemptsAsync<T>(async (unit, token) =>
        {
            // The case as this process last committed it, when remembered: a decision on it commits only if the case
            // is still at that version. What would refuse, or answer 412, is decided again on the case as stored.
            var loaded = appends.Remembered(caseId);
            var remembered = loaded is not null;
            while (true)
            {
                loaded ??= await appends.LoadAsync(caseId, token);
                if (loaded is null) return Outcome<T>.NotFound;
                if (!loaded.InSync)
                    return await ThroughMartenAsync(unit.Session, caseId, loaded.Version, expectedVersion, actor, decide, respond, needToKnow, token);

                var outcome = Decide(loaded, unit);
                if (outcome is null)
                    return await ThroughMartenAsync(unit.Session, caseId, loaded.Version, expectedVersion, actor, decide, respond, needToKnow, token);
                if (outcome.Kind == OutcomeKind.Staged || !remembered) return outcome;
                (loaded, remembered) = (null, false);
            }

            // Null when the command's events feed Marten's other projections, so Marten commits it.
            Outcome<T>? Decide(LoadedCase loaded, UnitOfWork unit)
            {
                var current = loaded.Stream.State;
                var decision = DecideOn(current, loaded.Version, expectedVersion, actor, needToKnow, decide);
                if (decision is null) return Outcome<T>.Conflict;
                if (decision.Refusal is { } refusal) return Outcome<T>.Refused(refusal);
                if (!LeavesOnlyTheCase(decision.Events)) return null;

                var chained = Chain(loaded.Stream.ChainHead, caseId, loaded.Version, decision.Events);
                var events = decision.Events.Select((e, i) => appends.Event(e, loaded.Version + i + 1, chained[i].Json, chained[i].Hash)).ToList();
                var after = decision.Events.Aggregate(current, CaseState.Evolve);
                var value = respond(after, decision.Events, after.Version);
                unit.Append = appends.Prepare(caseId, loaded.Version, events, new CaseStream { Id = caseId, State = after, ChainHead = chained[^1].Hash },
                    CaseSummary.From(after, policy.Value), idempotency.Answer(value!, after.Version));
                return Outcome<T>.Staged(value, after.Version, [.. events.Select(e => e.Id)]);
            }
        }, caseId, expectedVersion is null ? null : StaleVersion, ct);

    /// <summary>
    /// A command whose events feed Marten's other projections (decision records and counts, override and break-glass
    /// audits): fetched for writing at the version just read (a later commit is a version conflict) and committed by
    /// Marten with those documents.
    /// </summary>
    private async Task<Outcome<T>> ThroughMartenAsync<T>(IDocumentSession session, Guid caseId, long version, long? expectedVersion, Actor actor,
        Func<CaseState, CommandContext, Decision> decide, Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond,
        bool needToKnow, CancellationToken token)
    {
        var stream = await session.Events.FetchForWriting<CaseStream>(caseId, version, token);
        if (stream.Aggregate is not { } current || stream.CurrentVersion is null or 0) return Outcome<T>.NotFound;
        // Marten reads the stream's version and the case document in two statements, each with its own snapshot: a
        // commit between them gives a document newer than the version checked. Deciding on it would refuse (or
        // decide) on a case the caller's version never saw, so it counts as the version having moved.
        if (current.State.Version != stream.CurrentVersion) return Outcome<T>.Conflict;

        var decision = DecideOn(current.State, version, expectedVersion, actor, needToKnow, decide);
        if (decision is null) return Outcome<T>.Conflict;
        if (decision.Refusal is { } refusal) return Outcome<T>.Refused(refusal);
        stream.AppendMany([.. decision.Events]);
        return Stage(session, caseId, current.State, current.ChainHead, decision.Events, respond);
    }

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
        return basis == AccessBasis.BreakGlass && decision.Refusal is null && Rules.BreakGlassPath(state, decision.Events) is { } outside
            ? outside
            : decision;
    }

    /// <summary>
    /// Each event's JSON (as Marten stores it) and its hash, chained from the case's head at <paramref name="version"/>.
    /// A case without a chain head keeps a visible gap: the chain is not restarted, so integrity reports it.
    /// </summary>
    private List<(string Json, string Hash)> Chain(string? chainHead, Guid caseId, long version, IReadOnlyList<ICaseEvent> events)
    {
        var serializer = store.Options.Serializer();
        var walk = new EventHashChain.Walk(chainHead ?? "missing");
        return [.. events.Select((e, i) =>
        {
            var json = serializer.ToJson(e);
            return (json, walk.Next(caseId, version + i + 1, e.GetType().Name, json));
        })];
    }

    /// <summary>
    /// Whether a command's events write nothing but the case, its list row and its key's answer, so the group commit
    /// (<see cref="CaseAppendQueue"/>) can commit them. The others are the events <see cref="Stage"/> and Marten's
    /// projections write more for: an override changed (the override audit), a decision counted (the daily counts,
    /// and the decision records of <see cref="Features.Audit.DecisionRecordProjection"/>, which takes the same two
    /// events), a break-glass grant (its audit).
    /// </summary>
    private static bool LeavesOnlyTheCase(IReadOnlyList<ICaseEvent> events) =>
        events.All(e => OverrideChangedBy(e) is null && Features.Reports.DecisionCounts.Of(e) is null && e is not BreakGlassAccessGranted);

    /// <summary>Stands for 412: the version the caller sent in If-Match is no longer the case's version.</summary>
    private static readonly Refusal StaleVersion = Refusal.Conflict("If-Match is stale.");

    /// <summary>
    /// Runs attempts until one commits, is refused, or loses a race it may not decide again (<paramref name="onConflict"/>
    /// set: the If-Match version, or a new stream's id, was taken). Transient failures are retried by Polly around each
    /// attempt; an attempt whose commit failed ambiguously is checked before anything is decided again.
    /// </summary>
    private async Task<CaseCommandResult<T>> RunAttemptsAsync<T>(
        Func<UnitOfWork, CancellationToken, Task<Outcome<T>>> attempt, Guid caseId, Refusal? onConflict, CancellationToken ct)
    {
        for (var decisions = 1; ; decisions++)
        {
            Outcome<T>? unconfirmed = null;
            var outcome = await TransientRetry.ExecuteAsync(async token =>
            {
                if (unconfirmed is { } previous)
                {
                    // The last commit failed on the wire: it may have landed. If it did, that is the answer.
                    if (await LandedAsync(previous.EventIds, token)) return previous;
                    unconfirmed = null;
                }

                await using var unit = new UnitOfWork(store);
                Outcome<T> staged;
                try
                {
                    staged = await attempt(unit, token);
                }
                catch (Exception e) when (DatabaseFailures.IsConflict(e))
                {
                    // With If-Match, Marten refuses at fetch time when the version has already moved on.
                    return Outcome<T>.Conflict;
                }
                if (staged.Kind != OutcomeKind.Staged) return staged;

                unconfirmed = staged;
                try
                {
                    // Once started, a commit is not cancelled by the caller going away: it lands or fails on its own.
                    if (unit.Append is { } append)
                    {
                        if (await appends.AppendAsync(append) != AppendStatus.Appended)
                        {
                            unconfirmed = null;
                            return Outcome<T>.Conflict;
                        }
                    }
                    else
                    {
                        // Written by Marten: what this process remembers of the case is no longer the case.
                        appends.Forget(caseId);
                        await unit.Session.SaveChangesAsync(CancellationToken.None);
                    }
                }
                catch (Exception e) when (DatabaseFailures.IsConflict(e))
                {
                    unconfirmed = null;
                    return Outcome<T>.Conflict;
                }
                unconfirmed = null;
                return staged;
            }, ct);

            switch (outcome.Kind)
            {
                case OutcomeKind.Staged:
                    return CaseCommandResult.Done(outcome.Value!, outcome.Version);
                case OutcomeKind.NotFound:
                    return CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
                case OutcomeKind.Refused:
                    // A refusal may be what a concurrent twin's commit left behind (say, NO-DUPLICATE-ESCALATION):
                    // if that twin carried this request's Idempotency-Key, its answer is this request's answer. Not
                    // for a restricted case: NEED-TO-KNOW comes before any remembered answer (RESTRICTION-OWNERS).
                    return outcome.Refusal!.Kind != RefusalKind.Restricted && await idempotency.FindEarlierAnswerAsync(store, ct)
                        ? CaseCommandResult.Fail<T>(CommandStatus.AnsweredBefore)
                        : CaseCommandResult.Fail<T>(CommandStatus.Refused, outcome.Refusal);
                case OutcomeKind.Conflict:
                    appends.Forget(caseId);
                    var expiredBefore = idempotency.ReplacesExpired;
                    if (await idempotency.FindEarlierAnswerAsync(store, ct)) return CaseCommandResult.Fail<T>(CommandStatus.AnsweredBefore);
                    // The key's old, expired record is what collided: try again, replacing it.
                    if (idempotency.ReplacesExpired && !expiredBefore) break;
                    if (onConflict == StaleVersion)
                    {
                        // Marten refuses an expected version on a stream that does not exist as it refuses a stale one.
                        return await ExistsAsync(caseId, ct)
                            ? CaseCommandResult.Fail<T>(CommandStatus.StaleVersion)
                            : CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
                    }
                    if (onConflict is not null) return CaseCommandResult.Fail<T>(CommandStatus.Refused, onConflict);
                    if (decisions >= MaxDecisions)
                    {
                        // Not expected in practice; say so rather than loop for ever.
                        logger.LogWarning("A command lost {Count} version races in a row", decisions);
                        return CaseCommandResult.Fail<T>(CommandStatus.Busy);
                    }
                    logger.LogDebug("A command lost a version race; deciding again (try {Try})", decisions + 1);
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 2 + Math.Min(50, 4 * decisions))), ct);
                    break;
            }
        }
    }

    /// <summary>
    /// Adds to the session everything the command commits besides its events: each event's hash (as the event's header),
    /// the case list row, and the Idempotency-Key's answer. Returns the staged outcome with the events' ids, so an
    /// ambiguous commit can be checked.
    /// </summary>
    private Outcome<T> Stage<T>(IDocumentSession session, Guid caseId, CaseState? before, string? chainHead,
        IReadOnlyList<ICaseEvent> events, Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond)
    {
        var pending = session.PendingChanges.Streams().Single(s => s.Id == caseId).Events;
        var chained = Chain(chainHead, caseId, before?.Version ?? 0, events);
        for (var i = 0; i < events.Count; i++) pending[pending.Count - events.Count + i].SetHeader(EventHashChain.Header, chained[i].Hash);

        var after = events.Aggregate(before, CaseState.Evolve)!;
        session.Store(CaseSummary.From(after, policy.Value));
        foreach (var overrideId in events.Select(OverrideChangedBy).OfType<Guid>().Distinct())
        {
            if (after.FindOverride(overrideId) is { } changed) session.Store(OverrideAuditRow.From(caseId, changed));
        }
        foreach (var decision in events) Features.Reports.DecisionCounts.Count(session, decision);
        foreach (var grant in events.OfType<BreakGlassAccessGranted>()) session.Store(Features.Audit.BreakGlass.BreakGlassAuditRow.From(caseId, grant));
        var value = respond(after, events, after.Version);
        if (idempotency.Answer(value!, after.Version) is { } answer)
        {
            // Insert, so two requests with one key cannot both commit; an expired record of the key is replaced.
            if (idempotency.ReplacesExpired) session.Store(answer);
            else session.Insert(answer);
        }
        return Outcome<T>.Staged(value, after.Version, [.. pending.Select(e => e.Id)]);
    }

    /// <summary>The override an event changes, for the auditors' list of overrides across cases.</summary>
    private static Guid? OverrideChangedBy(ICaseEvent e) => e switch
    {
        OverrideRequested r => r.OverrideId,
        OverrideApproved a => a.OverrideId,
        EscalationMade { OverrideId: { } used } => used,
        _ => null,
    };

    /// <summary>Whether events with these ids are in the store: did a commit whose answer was lost land after all?</summary>
    private async Task<bool> LandedAsync(IReadOnlyList<Guid> eventIds, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var first = eventIds[0];
        var landed = await query.Events.QueryAllRawEvents().AnyAsync(e => e.Id == first, ct);
        logger.LogInformation("A commit that failed on the wire had {Outcome}", landed ? "landed" : "not landed");
        return landed;
    }

    private async Task<bool> ExistsAsync(Guid caseId, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        return await query.Events.FetchStreamStateAsync(caseId, ct) is not null;
    }

    private CommandContext Context(Actor actor) => new(actor, clock.GetCurrentInstant(), policy.Value);

    /// <summary>
    /// What one attempt commits: a group-committed append (<see cref="Append"/>), or a Marten session, opened only
    /// when the attempt asks for it.
    /// </summary>
    private sealed class UnitOfWork(IDocumentStore store) : IAsyncDisposable
    {
        private IDocumentSession? session;

        public IDocumentSession Session => session ??= store.LightweightSession();

        public CaseAppend? Append { get; set; }

        public ValueTask DisposeAsync() => session?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    private enum OutcomeKind { Staged, NotFound, Refused, Conflict }

    /// <summary>What one attempt came to.</summary>
    private sealed record Outcome<T>(OutcomeKind Kind, T? Value, long Version, Refusal? Refusal, IReadOnlyList<Guid> EventIds)
    {
        public static readonly Outcome<T> NotFound = new(OutcomeKind.NotFound, default, 0, null, []);
        public static readonly Outcome<T> Conflict = new(OutcomeKind.Conflict, default, 0, null, []);
        public static Outcome<T> Refused(Refusal refusal) => new(OutcomeKind.Refused, default, 0, refusal, []);
        public static Outcome<T> Staged(T value, long version, IReadOnlyList<Guid> eventIds) => new(OutcomeKind.Staged, value, version, null, eventIds);
    }
}
