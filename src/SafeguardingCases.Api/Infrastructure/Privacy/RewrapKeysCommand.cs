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
        var rows = new List<(Guid Id, string Wrapped)>();
        await using (var read = new NpgsqlCommand($"select id, data ->> 'wrapped' from {CaseKeyRing.Table} for update", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetGuid(0), reader.GetString(1)));
        }
        var (rewrapped, already) = (0, 0);
        foreach (var (id, wrapped) in rows)
        {
            if (CaseKeyRing.Unwrap(newKek, wrapped) is not null)
            {
                already++;
                continue;
            }
            var key = CaseKeyRing.Unwrap(oldKek, wrapped) ?? throw new InvalidOperationException($"the data key of case {id} is wrapped by neither key.");
            await using var update = new NpgsqlCommand($"update {CaseKeyRing.Table} set data = jsonb_set(data, '{{wrapped}}', to_jsonb($2::text)) where id = $1", connection, transaction);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(CaseKeyRing.Wrap(newKek, key));
            await update.ExecuteNonQueryAsync(ct);
            rewrapped++;
        }
        var protectionKeys = new List<(string Id, string Xml)>();
        await using (var read = new NpgsqlCommand($"select id, data ->> 'xml' from {Sessions.ConsoleSessions.KeysTable} for update", connection, transaction))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) protectionKeys.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (id, xml) in protectionKeys)
        {
            if (Sessions.ConsoleSessions.Rewrapped(xml, oldKek, newKek) is not { } again)
            {
                already++;
                continue;
            }
            await using var update = new NpgsqlCommand($"update {Sessions.ConsoleSessions.KeysTable} set data = jsonb_set(data, '{{xml}}', to_jsonb($2::text)) where id = $1", connection, transaction);
            update.Parameters.AddWithValue(id);
            update.Parameters.AddWithValue(again);
            await update.ExecuteNonQueryAsync(ct);
            rewrapped++;
        }
        await transaction.CommitAsync(ct);
        return (rewrapped, already);
    }
}
