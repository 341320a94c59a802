using Marten;
using Marten.Services;
using Npgsql;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// Marten's logging without SQL or parameters (which carry what service users disclosed). Marten's default logger
/// writes every failed command at Error with both; here a lost race (an expected outcome the runner handles) is a
/// Debug line, an outage a Warning, and anything else an Error, each naming only the exception type and SQLSTATE.
/// </summary>
public sealed partial class MartenLogging(ILogger logger) : IMartenLogger, IMartenSessionLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql) => SchemaChanged(logger);

    public void LogSuccess(NpgsqlCommand command) { }

    public void LogSuccess(NpgsqlBatch batch) { }

    public void LogFailure(NpgsqlCommand command, Exception ex) => Failure(ex);

    public void LogFailure(NpgsqlBatch batch, Exception ex) => Failure(ex);

    public void LogFailure(Exception ex, string message) => Failure(ex);

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit) { }

    public void OnBeforeExecute(NpgsqlCommand command) { }

    public void OnBeforeExecute(NpgsqlBatch batch) { }

    private void Failure(Exception ex)
    {
        var state = (ex as PostgresException ?? ex.InnerException as PostgresException)?.SqlState ?? "-";
        if (DatabaseFailures.IsConflict(ex)) LostRace(logger, ex.GetType().Name, state);
        else if (DatabaseFailures.IsTransient(ex)) Unavailable(logger, ex.GetType().Name, state);
        else Failed(logger, ex.GetType().Name, state);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Marten applied a schema change")]
    private static partial void SchemaChanged(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A database command lost a race ({Exception}, SQLSTATE {SqlState})")]
    private static partial void LostRace(ILogger logger, string exception, string sqlState);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A database command failed: database unavailable ({Exception}, SQLSTATE {SqlState})")]
    private static partial void Unavailable(ILogger logger, string exception, string sqlState);

    [LoggerMessage(Level = LogLevel.Error, Message = "A database command failed ({Exception}, SQLSTATE {SqlState})")]
    private static partial void Failed(ILogger logger, string exception, string sqlState);
}
