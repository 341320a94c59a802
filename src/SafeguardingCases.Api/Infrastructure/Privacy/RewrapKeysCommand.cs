using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Infrastructure.Privacy;

/// <summary>
/// <c>dotnet SafeguardingCases.Api.dll rewrap-keys</c>: the last step of rotating the key-encryption key. Every case data
/// key wrapped by <c>Privacy__PreviousKeyPath</c> (and the reference index's key, kept in the same table) is wrapped
/// again by <c>Privacy__KeyPath</c>, and so is every data protection key's secret (the console's sessions, cookies and
/// forms: they outlive the rotation), in one transaction;
/// no event or document other than the wrapped keys is touched, so every hash and proof is unchanged. Data keys
/// already wrapped by the new key are left as they are, so it can be run again. Exit 0 done, 1 the database refused or
/// a data key is wrapped by neither key, 2 the settings are wrong.
/// </summary>
public static class RewrapKeysCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0)
        {
            await Console.Error.WriteLineAsync("usage: SafeguardingCases.Api rewrap-keys   (reads ConnectionStrings__Marten, Privacy__KeyPath and Privacy__PreviousKeyPath)");
            return 2;
        }
        var configuration = Host.CreateApplicationBuilder([]).Configuration;
        var connectionString = configuration.GetConnectionString(MartenSetup.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString) || configuration["Privacy:KeyPath"] is not { Length: > 0 } current
            || configuration["Privacy:PreviousKeyPath"] is not { Length: > 0 } previous)
        {
            await Console.Error.WriteLineAsync("rewrap-keys: ConnectionStrings__Marten, Privacy__KeyPath (the new key) and Privacy__PreviousKeyPath (the old one) must be set.");
            return 2;
        }
        try
        {
            var (rewrapped, already) = await RewrapAsync(connectionString, CaseKeyRing.ReadKeyFile(previous, "Privacy__PreviousKeyPath"),
                CaseKeyRing.ReadKeyFile(current, "Privacy__KeyPath"), CancellationToken.None);
            Console.WriteLine($"rewrap-keys: {rewrapped} keys wrapped by the new key; {already} already were.");
            return 0;
        }
        catch (StartupRefusedException e)
        {
            await Console.Error.WriteLineAsync($"rewrap-keys: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"rewrap-keys: nothing changed: {e.Message}");
            return 1;
        }
    }

    /// <summary>Re-wraps every data key (and data protection key) the old key wrapped; throws, changing nothing, if one is wrapped by neither.</summary>
    public static async Task<(int Rewrapped, int Already)> RewrapAsync(string connectionString, byte[] oldKek, byte[] newKek, CancellationToken ct)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // A case data key (and the reference index key): the new key-encryption key's wrapping, or null when it is already.
        var cases = await RewrapRowsAsync(connection, transaction, CaseKeyRing.Table, "wrapped", (id, wrapped) =>
            CaseKeyRing.Unwrap(newKek, wrapped) is not null ? null
                : CaseKeyRing.Wrap(newKek, CaseKeyRing.Unwrap(oldKek, wrapped) ?? throw new InvalidOperationException($"the data key of case {id} is wrapped by neither key.")), ct);
        var protection = await RewrapRowsAsync(connection, transaction, Sessions.ConsoleSessions.KeysTable, "xml",
            (_, xml) => Sessions.ConsoleSessions.Rewrapped(xml, oldKek, newKek), ct);
        await transaction.CommitAsync(ct);
        return (cases.Rewrapped + protection.Rewrapped, cases.Already + protection.Already);
    }

    /// <summary>
    /// Every row of a key table, locked: its field wrapped again where <paramref name="rewrap"/> gives a new value
    /// (null: the new key already wraps it).
    /// </summary>
    private static async Task<(int Rewrapped, int Already)> RewrapRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string table, string field, Func<object, string, string?> rewrap, CancellationToken ct)
    {
        var rows = new List<(object Id, string Value)>();
        await using (var read = new NpgsqlCommand($"select id, data ->> '{field}' from {table} for update", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetValue(0), reader.GetString(1)));
        }
        var (rewrapped, already) = (0, 0);
        foreach (var (id, value) in rows)
        {
            if (rewrap(id, value) is not { } again)
            {
                already++;
                continue;
            }
            await using var update = new NpgsqlCommand($"update {table} set data = jsonb_set(data, '{{{field}}}', to_jsonb($2::text)) where id = $1", connection, transaction);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(again);
            await update.ExecuteNonQueryAsync(ct);
            rewrapped++;
        }
        return (rewrapped, already);
    }
}
