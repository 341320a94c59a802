using JasperFx;
using Marten;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using Weasel.Core;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// The schema outside Development: <c>dotnet SafeguardingCases.Api.dll db-apply [--grant role]</c> applies every
/// table, index and function the API needs with Marten's own schema tooling (run it as a role that may change the
/// schema, before the new version starts), and the API itself only checks at start-up that the schema is the one
/// it needs, so its own role needs nothing but DML rights.
/// </summary>
public static class SchemaCommands
{
    /// <summary>db-apply: exit 0 applied (or already up to date), 1 the database refused, 2 the settings are wrong.</summary>
    public static async Task<int> ApplyAsync(string[] args)
    {
        string? grantTo = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--grant" && i + 1 < args.Length) grantTo = args[++i];
            else
            {
                await Console.Error.WriteLineAsync("usage: SafeguardingCases.Api db-apply [--grant <role>]   (the connection string comes from ConnectionStrings__Marten)");
                return 2;
            }
        }
        if (grantTo is not null && !System.Text.RegularExpressions.Regex.IsMatch(grantTo, "^[a-z_][a-z0-9_]{0,62}$"))
        {
            await Console.Error.WriteLineAsync($"db-apply: '{grantTo}' is not a plain PostgreSQL role name (lower case letters, digits, _).");
            return 2;
        }

        var configuration = Host.CreateApplicationBuilder([]).Configuration;
        var connectionString = configuration.GetConnectionString(MartenSetup.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync("db-apply: ConnectionStrings__Marten is not set.");
            return 2;
        }

        try
        {
            await using var db = NpgsqlDataSource.Create(connectionString);
            using var store = new DocumentStore(MartenSetup.Configure(new StoreOptions(), db, applySchema: true));
            var migration = await store.Storage.Database.CreateMigrationAsync();
            if (migration.Difference == SchemaPatchDifference.None)
            {
                Console.WriteLine("db-apply: the schema is up to date.");
            }
            else
            {
                await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync(AutoCreate.CreateOrUpdate);
                await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
                Console.WriteLine($"db-apply: applied ({migration.Difference}).");
            }
            if (grantTo is not null)
            {
                await GrantAsync(db, grantTo);
                Console.WriteLine($"db-apply: granted DML rights on the schema to {grantTo}.");
            }
            return 0;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // One line for the operator: what failed and PostgreSQL's reason (42501: the role may not change the schema).
            var postgres = e as PostgresException ?? e.InnerException as PostgresException;
            var reason = postgres is null ? e.GetType().Name : $"SQLSTATE {postgres.SqlState}: {postgres.MessageText}";
            await Console.Error.WriteLineAsync($"db-apply: the schema could not be applied ({reason}).");
            return 1;
        }
    }

    /// <summary>Data rights only: read and write rows, use the sequences, run Marten's functions. No CREATE, ALTER or DROP.</summary>
    private static async Task GrantAsync(NpgsqlDataSource db, string role)
    {
        await using var command = db.CreateCommand(
            $"grant usage on schema public to {role}; " +
            $"grant select, insert, update, delete on all tables in schema public to {role}; " +
            $"grant usage, select, update on all sequences in schema public to {role}; " +
            $"grant execute on all functions in schema public to {role};");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// At start-up, when the API does not apply the schema itself: refuse to start (one line, exit 2) if the schema is
    /// not the one this version needs. A database that cannot be reached does not stop start-up: readiness reports it.
    /// </summary>
    public static async Task CheckAppliedAsync(IDocumentStore store, ILogger logger)
    {
        try
        {
            await store.Storage.Database.AssertDatabaseMatchesConfigurationAsync();
        }
        catch (Exception e) when (DatabaseFailures.IsTransient(e))
        {
            logger.LogWarning("Could not check the database schema at start-up ({Error}); readiness will report the database", e.GetType().Name);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StartupRefusedException(
                "the database schema is not the one this version needs. Run 'dotnet SafeguardingCases.Api.dll db-apply' as a role that may " +
                $"change the schema, or set Database__ApplySchemaOnStartup=true ({e.GetType().Name}).");
        }
    }

    /// <summary>
    /// <c>Database__ApplySchemaOnStartup=true</c>: Marten's schema tooling brings every table, index and function up
    /// to date at start-up rather than piecemeal on first use. Not Marten's <c>ApplyAllDatabaseChangesOnStartup</c>,
    /// which stops the host when PostgreSQL is not up yet: here an unreachable database is logged and left to
    /// readiness, and Marten still creates what is missing on first use once it is back. One instance at a time (a
    /// PostgreSQL advisory lock): two started together on a new database both created Marten's functions, and one
    /// failed to start on the catalogue's unique key (one time in two, seen by hand).
    /// </summary>
    public sealed class ApplyOnStartup(IDocumentStore store, NpgsqlDataSource db, ILogger<ApplyOnStartup> logger) : IHostedService
    {
        /// <summary>The advisory lock key of the schema step ("SGCSCHEM").</summary>
        public const long LockKey = 0x534743534348454D;

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(cancellationToken);
                await using (var take = new NpgsqlCommand("select pg_advisory_lock($1)", connection))
                {
                    take.Parameters.AddWithValue(LockKey);
                    await take.ExecuteNonQueryAsync(cancellationToken);
                }
                try
                {
                    await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
                }
                finally
                {
                    await using var release = new NpgsqlCommand("select pg_advisory_unlock($1)", connection);
                    release.Parameters.AddWithValue(LockKey);
                    await release.ExecuteNonQueryAsync(CancellationToken.None);
                }
            }
            catch (Exception e) when (DatabaseFailures.IsTransient(e))
            {
                logger.LogWarning("Could not apply the database schema at start-up ({Error}); it is applied on first use", e.GetType().Name);
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
