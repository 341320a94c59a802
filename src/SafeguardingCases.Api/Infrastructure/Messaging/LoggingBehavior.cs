using System.Diagnostics;
using Mediator;

namespace SafeguardingCases.Api.Infrastructure.Messaging;

/// <summary>
/// Logs every command and query through Mediator: one Information line with how long it took and how it ended (a
/// refusal is an outcome, not an error), and a Warning only when it threw. Never the message's contents.
/// </summary>
public sealed class LoggingBehavior<TMessage, TResponse>(ILogger<LoggingBehavior<TMessage, TResponse>> logger, Telemetry.SafeguardingMetrics metrics)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : notnull, IMessage
{
    /// <summary>The message's name in the log ("Notes.Add.AddNoteCommand") and in metrics ("AddNote"), made once per type.</summary>
    private static readonly string? Name = typeof(TMessage).FullName?.Replace("SafeguardingCases.Api.Features.", "", StringComparison.Ordinal);

    private static readonly string MetricName = typeof(TMessage).Name.Replace("Command", "", StringComparison.Ordinal);

    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next(message, cancellationToken);
            if (response is Persistence.IHasOutcome outcome)
            {
                // Commands by type and outcome, refusals by rule ID; what a command counts of its own (escalations by route).
                metrics.CommandHandled(MetricName, outcome.Status, outcome.RuleIds);
                if (outcome.Status == nameof(Persistence.CommandStatus.Done) && message is Telemetry.ICountedCommand counted) counted.Count(metrics);
            }
            // (The outcome's text is made only when the line is written.)
            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{Message} handled in {ElapsedMs:F1} ms: {Outcome}", Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    response is Persistence.IHasOutcome result ? result.Outcome : "Done");
            }
            return response;
        }
        catch (Exception e)
        {
            if (Persistence.DatabaseFailures.IsTransient(e))
                logger.LogWarning("{Message} failed after {ElapsedMs:F1} ms: database unavailable ({Error})", Name,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.GetType().Name);
            else
                logger.LogWarning(e, "{Message} failed after {ElapsedMs:F1} ms", Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }
}
