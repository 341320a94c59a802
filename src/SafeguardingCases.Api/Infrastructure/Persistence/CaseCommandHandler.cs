using Mediator;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// A Mediator command on an existing case: which case, the version the caller saw, who is acting, and what its
/// Idempotency-Key remembers if it succeeds (set by the endpoint; null without a key).
/// </summary>
public interface ICaseCommand<TResponse> : IRequest<CaseCommandResult<TResponse>>
{
    Guid CaseId { get; }
    long? ExpectedVersion { get; }
    Actor Actor { get; }
    Http.Remembering? Remembering { get; }
}

/// <summary>The shape every case command record takes: <c>record AddNoteCommand(...) : CaseCommand&lt;AddNoteResponse&gt;(CaseId, ExpectedVersion, Actor)</c>.</summary>
public abstract record CaseCommand<TResponse>(Guid CaseId, long? ExpectedVersion, Actor Actor) : ICaseCommand<TResponse>
{
    public Http.Remembering? Remembering { get; init; }
}

/// <summary>
/// The handler shape every case command shares: run the pure decide function through <see cref="CaseCommandRunner"/>
/// and build the response from what was appended. A feature supplies only <see cref="Decide"/> and <see cref="Respond"/>.
/// </summary>
public abstract class CaseCommandHandler<TCommand, TResponse>(CaseCommandRunner runner) : IRequestHandler<TCommand, CaseCommandResult<TResponse>>
    where TCommand : ICaseCommand<TResponse>
{
    public async ValueTask<CaseCommandResult<TResponse>> Handle(TCommand request, CancellationToken cancellationToken) =>
        await runner.RunAsync(request.CaseId, request.ExpectedVersion, request.Actor, request.Remembering,
            (state, ctx) => Decide(state, request, ctx),
            (after, events, version) => Respond(request, after, version), cancellationToken, NeedToKnow);

    /// <summary>NEED-TO-KNOW applies to every command on a case but the one that breaks the glass.</summary>
    protected virtual bool NeedToKnow => true;

    protected abstract Decision Decide(CaseState state, TCommand command, CommandContext context);

    /// <summary>The response, from the command and the case as it stands after the appended events.</summary>
    protected abstract TResponse Respond(TCommand command, CaseState after, long version);
}
