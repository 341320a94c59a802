using JasperFx;
using Marten;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;
using Polly;
using Polly.Retry;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>How a command on a case ended.</summary>
public enum CommandStatus { Done, CaseNotFound, Refused, StaleVersion, ConcurrentChange }

/// <summary>The result of a command: the response and new stream version, or why nothing was appended.</summary>
public sealed record CaseCommandResult<T>(CommandStatus Status, T? Value, long Version, Refusal? Refusal);

/// <summary>Factories for <see cref="CaseCommandResult{T}"/>.</summary>
public static class CaseCommandResult
{
    public static CaseCommandResult<T> Done<T>(T value, long version) => new(CommandStatus.Done, value, version, null);
    public static CaseCommandResult<T> Fail<T>(CommandStatus status, Refusal? refusal = null) => new(status, default, 0, refusal);
}

/// <summary>
/// The one write path for cases: load the stream at the expected version, run the pure decide function, append.
/// A refusal appends nothing. Transient PostgreSQL failures are retried with a fresh session, always at the version
/// first seen, so a retry after a commit that did land fails on the version check instead of appending twice.
/// </summary>
public sealed class CaseCommandRunner(IDocumentStore store, IClock clock, IOptions<PolicyOptions> policy, ILogger<CaseCommandRunner> logger)
{
    private static readonly ResiliencePipeline Retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e => e.IsTransient),
            MaxRetryAttempts = 3,
            Delay = TimeSpan.FromMilliseconds(100),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>Starts a new case stream from a decision that needs no prior state.</summary>
    public async Task<CaseCommandResult<T>> StartAsync<T>(Guid caseId, Actor actor, Func<CommandContext, Decision> decide, Func<T> respond, CancellationToken ct)
    {
        var ctx = Context(actor);
        var decision = decide(ctx);
        if (decision.Refusal is { } refusal) return CaseCommandResult.Fail<T>(CommandStatus.Refused, refusal);
        // A new Guid per case: a retry whose first commit landed fails on the stream id instead of starting a duplicate.
        await Retry.ExecuteAsync(async token =>
        {
            await using var session = store.LightweightSession();
            session.Events.StartStream<CaseState>(caseId, [.. decision.Events]);
            ChainHashes(session, caseId, 0, EventHashChain.Genesis, decision.Events);
            await session.SaveChangesAsync(token);
        }, ct);
        return CaseCommandResult.Done(respond(), decision.Events.Count);
    }

    /// <summary>Runs a command on an existing case. <paramref name="expectedVersion"/> comes from <c>If-Match</c>.</summary>
    public async Task<CaseCommandResult<T>> RunAsync<T>(
        Guid caseId, long? expectedVersion, Actor actor,
        Func<CaseState, CommandContext, Decision> decide,
        Func<CaseState, IReadOnlyList<ICaseEvent>, long, T> respond,
        CancellationToken ct)
    {
        var pinned = expectedVersion;
        try
        {
            return await Retry.ExecuteAsync(async token =>
            {
                await using var session = store.LightweightSession();
                var stream = pinned is { } v
                    ? await session.Events.FetchForWriting<CaseState>(caseId, v, token)
                    : await session.Events.FetchForWriting<CaseState>(caseId, token);
                if (stream.Aggregate is null || stream.CurrentVersion is null or 0) return CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
                var startVersion = stream.CurrentVersion.Value;
                pinned ??= startVersion;

                var decision = decide(stream.Aggregate, Context(actor));
                if (decision.Refusal is { } refusal) return CaseCommandResult.Fail<T>(CommandStatus.Refused, refusal);

                stream.AppendMany([.. decision.Events]);
                var previous = await session.LoadAsync<EventHash>(EventHash.IdFor(caseId, startVersion), token);
                // A missing link stays missing: the chain is not restarted, so the integrity check still reports it.
                ChainHashes(session, caseId, startVersion, previous?.Hash ?? "missing", decision.Events);
                await session.SaveChangesAsync(token);
                var version = startVersion + decision.Events.Count;
                var after = decision.Events.Aggregate(stream.Aggregate, CaseState.Evolve);
                return CaseCommandResult.Done(respond(after, decision.Events, version), version);
            }, ct);
        }
        catch (ConcurrencyException e)
        {
            await using var query = store.QuerySession();
            if (await query.Events.FetchStreamStateAsync(caseId, ct) is null) return CaseCommandResult.Fail<T>(CommandStatus.CaseNotFound);
            logger.LogInformation("Command on case {CaseId} lost a version race: {Message}", caseId, e.Message);
            return CaseCommandResult.Fail<T>(expectedVersion is null ? CommandStatus.ConcurrentChange : CommandStatus.StaleVersion);
        }
    }

    private CommandContext Context(Actor actor) => new(actor, clock.GetCurrentInstant(), policy.Value);

    /// <summary>Adds each new event's hash to the session, so it commits (or not) with the events themselves.</summary>
    private void ChainHashes(IDocumentSession session, Guid caseId, long startVersion, string previousHash, IReadOnlyList<ICaseEvent> events)
    {
        var serializer = store.Options.Serializer();
        var previous = previousHash;
        for (var i = 0; i < events.Count; i++)
        {
            var version = startVersion + i + 1;
            var hash = EventHashChain.Hash(previous, caseId, version, events[i].GetType().Name, serializer.ToJson(events[i]));
            session.Insert(new EventHash { Id = EventHash.IdFor(caseId, version), StreamId = caseId, Version = version, Hash = hash });
            previous = hash;
        }
    }
}
