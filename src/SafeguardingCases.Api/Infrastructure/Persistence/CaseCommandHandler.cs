using Mediator;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// A command on a case: which case, the version the caller saw (If-Match), who is acting, and what its Idempotency-Key
/// remembers if it succeeds (set by the endpoint; null without a key).
/// </summary>
public interface ICaseCommandData
{
    Guid CaseId { get; }
    long? ExpectedVersion { get; }
    Actor Actor { get; }
    Http.Remembering? Remembering { get; }
}

/// <summary>A Mediator command on a case.</summary>
public interface ICaseCommand<TResponse> : IRequest<CaseCommandResult<TResponse>>, ICaseCommandData;

/// <summary>The shape every case command record takes: <c>record AddNoteCommand(...) : CaseCommand&lt;AddNoteResponse&gt;(CaseId, ExpectedVersion, Actor)</c>.</summary>
public abstract record CaseCommand<TResponse>(Guid CaseId, long? ExpectedVersion, Actor Actor) : ICaseCommand<TResponse>
{
    public Http.Remembering? Remembering { get; init; }
}

/// <summary>
/// The write path for a case, in the order it runs: <see cref="Handle"/> retries <see cref="TryOnceAsync"/> (load, then
/// NEED-TO-KNOW and the slice's decide function in <see cref="DecideOn"/>, stage, commit) until it commits, is refused
/// or loses a race it may not decide again. So a slice's <see cref="Decide"/> runs six of our frames from its endpoint
/// (the endpoint, the logging behaviour, <see cref="Handle"/>, <see cref="TryOnceAsync"/>, <see cref="DecideOn"/>, Decide).
/// What the attempts share (staging, committing, how an attempt ends) is <see cref="CaseCommandRunner"/>'s.
/// A slice supplies only <see cref="Decide"/> and <see cref="Respond"/>.
/// </summary>
public abstract class CaseCommandLoop<TCommand, TResponse>(CaseCommandRunner runner) where TCommand : ICaseCommandData
{
    private readonly CaseCommandRunner runner = runner;

    /// <summary>A new case's id that is already taken, with no remembered answer to give: the case was opened before.</summary>
    private static readonly Refusal AlreadyOpened = Refusal.Conflict(
        "This case was already opened. Repeat the request with the same Idempotency-Key within its expiry to get the case's id.");

    public async ValueTask<CaseCommandResult<TResponse>> Handle(TCommand command, CancellationToken cancellationToken)
    {
        var attempt = new CaseCommandAttempt<TResponse>(command.CaseId, command.Remembering,
            Opens ? AlreadyOpened : command.ExpectedVersion is null ? null : CaseCommandRunner.StaleVersion);
        while (true)
        {
            var outcome = await CaseCommandRunner.TransientRetry.ExecuteAsync(TryOnceAsync, (this, command, attempt), cancellationToken);
            if (await runner.ConcludeAsync(attempt, outcome, cancellationToken) is { } result) return result;
        }
    }

    /// <summary>NEED-TO-KNOW applies to every command on a case but the one that breaks the glass.</summary>
    protected virtual bool NeedToKnow => true;

    /// <summary>True for the command that starts a case's stream: decided on no state, and a taken id is a conflict.</summary>
    protected virtual bool Opens => false;

    /// <summary>The slice's decide function: pure, on the case as it stands (an empty state for <see cref="Opens"/>).</summary>
    protected abstract Decision Decide(CaseState state, TCommand command, CommandContext context);

    /// <summary>The response, from the command, the case as it stands after the appended events, and those events.</summary>
    protected abstract TResponse Respond(TCommand command, CaseState after, IReadOnlyList<ICaseEvent> appended, long version);

    /// <summary>
    /// One attempt: load (this process's memory of the case, or one statement), decide, stage and commit. A transient
    /// failure is retried by Polly around it; after one during a commit, the next try first asks whether that commit
    /// landed (it may have, before the connection died), and answers from it if so: a retry never appends twice.
    /// </summary>
    private static async ValueTask<CaseCommandOutcome<TResponse>> TryOnceAsync(
        (CaseCommandLoop<TCommand, TResponse> Slice, TCommand Command, CaseCommandAttempt<TResponse> Attempt) at, CancellationToken token)
    {
        var (slice, command, attempt) = at;
        var runner = slice.runner;
        if (attempt.Unconfirmed is { } previous && await runner.LandedAsync(previous.Commit!.Events[0].Id, token)) return previous;
        attempt.Unconfirmed = null;

        // The case's key first (awaited, unless held fresh), so neither reading the case's sealed texts nor staging asks
        // PostgreSQL for it on a blocked thread. A new case gets its data key at staging, unless its id has one already
        // (opened before, by an earlier request with the same Idempotency-Key: it keeps the key it has).
        var hasKey = await runner.PrepareKeyAsync(command.CaseId, token);
        var (before, chainHead) = ((CaseState?)null, (string?)null);
        Decision decision;
        if (slice.Opens) decision = slice.Decide(new CaseState(), command, runner.Context(command.Actor));
        else
        {
            // The case as this process last committed it, when remembered: a decision on it commits only if the case
            // is still at that version. What would refuse, or answer 412, is decided again on the case as stored.
            var loaded = runner.Remembered(command.CaseId);
            for (var remembered = loaded is not null; ; (loaded, remembered) = (null, false))
            {
                loaded ??= await runner.LoadAsync(command.CaseId, token);
                if (loaded is null) return CaseCommandOutcome<TResponse>.NotFound;
                if (!loaded.InSync) return runner.OutOfStep<TResponse>();
                var decided = slice.DecideOn(loaded.Stream.State, loaded.Version, command);
                if (decided is { Refusal: null })
                {
                    (before, chainHead, decision) = (loaded.Stream.State, loaded.Stream.ChainHead, decided);
                    break;
                }
                if (remembered) continue;
                return decided is null ? CaseCommandOutcome<TResponse>.Conflict : CaseCommandOutcome<TResponse>.Refused(decided.Refusal!);
            }
        }
        if (decision.Refusal is { } refusal) return CaseCommandOutcome<TResponse>.Refused(refusal); // (opening only)
        if (runner.Stage(command.CaseId, before, chainHead, decision.Events, makesKey: slice.Opens && !hasKey) is not { } staged)
            return CaseCommandOutcome<TResponse>.Conflict;
        var response = slice.Respond(command, staged.After.State, decision.Events, staged.VersionAfter);
        return await runner.CommitAsync(attempt, CaseCommandOutcome<TResponse>.Staged(response, staged));
    }

    /// <summary>
    /// NEED-TO-KNOW first (RESTRICTION-OWNERS: before the version, so someone not named learns only that the case is
    /// restricted), then <c>If-Match</c> (null: the version moved), then the slice's decide function, and for a
    /// break-glass holder whether what it would record is on the emergency path (BREAK-GLASS). All on the one state
    /// the command is decided on, so a restriction that landed before that state is never missed.
    /// </summary>
    private Decision? DecideOn(CaseState state, long version, TCommand command)
    {
        var context = runner.Context(command.Actor);
        var basis = AccessBasis.Role;
        if (NeedToKnow)
        {
            (var seen, var restricted) = Rules.NeedToKnow(state, command.Actor, context.Now);
            if (restricted is not null) return restricted;
            basis = seen!.Value;
        }
        if (command.ExpectedVersion is { } expected && expected != version) return null;
        var decision = Decide(state, command, context);
        if (Rules.NotDestroyed(state, decision.Events) is { } destroyed) return destroyed;
        return basis == AccessBasis.BreakGlass && decision.Refusal is null && Rules.BreakGlassPath(state, decision.Events) is { } outside
            ? outside
            : decision;
    }
}

/// <summary>
/// The Mediator handler every case command's slice derives from: <see cref="CaseCommandLoop{TCommand, TResponse}.Handle"/>
/// is the handler's <c>Handle</c>. A slice supplies <c>Decide</c> and <see cref="Respond(TCommand, CaseState, long)"/>.
/// </summary>
public abstract class CaseCommandHandler<TCommand, TResponse>(CaseCommandRunner runner)
    : CaseCommandLoop<TCommand, TResponse>(runner), IRequestHandler<TCommand, CaseCommandResult<TResponse>>
    where TCommand : ICaseCommand<TResponse>
{
    protected sealed override TResponse Respond(TCommand command, CaseState after, IReadOnlyList<ICaseEvent> appended, long version) =>
        Respond(command, after, version);

    /// <summary>The response, from the command and the case as it stands after the appended events.</summary>
    protected abstract TResponse Respond(TCommand command, CaseState after, long version);
}

/// <summary>
/// A command on a case decided by functions given where it is made (an export's record, a draft built from the stored
/// events first): the same loop as every other command, run with <c>new CaseCommandFunctions&lt;T&gt;(...).Handle(...)</c>.
/// </summary>
public sealed class CaseCommandFunctions<T>(
    CaseCommandRunner runner, Func<CaseState, CommandContext, Decision> decide, Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond)
    : CaseCommandLoop<CaseCommandFunctions<T>.On, T>(runner)
{
    /// <summary>Which case, the version the caller saw, who is acting, and what their Idempotency-Key remembers.</summary>
    public sealed record On(Guid CaseId, long? ExpectedVersion, Actor Actor, Http.Remembering? Remembering) : ICaseCommandData;

    protected override Decision Decide(CaseState state, On command, CommandContext context) => decide(state, context);

    protected override T Respond(On command, CaseState after, IReadOnlyList<ICaseEvent> appended, long version) => respond(after, appended, version);
}
