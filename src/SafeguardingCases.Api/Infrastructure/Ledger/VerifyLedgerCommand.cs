using System.Security.Cryptography;
using System.Text.Json;
using Marten;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Json;
using SafeguardingCases.Api.Infrastructure.Persistence;

namespace SafeguardingCases.Api.Infrastructure.Ledger;

/// <summary>
/// <c>dotnet SafeguardingCases.Api.dll verify-ledger --checkpoint FILE --public-key FILE</c>: verifies the event log in
/// the database (<c>ConnectionStrings__Marten</c>) against a checkpoint kept outside it (a file from
/// <c>Ledger__PublishDirectory</c>), with the public key the auditor holds. Recomputes every leaf from the events'
/// data. Exit code 0 when the log matches the checkpoint, 1 when it does not, 2 when it cannot run.
/// </summary>
public static class VerifyLedgerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var checkpointFile = Option("--checkpoint");
        var keyFile = Option("--public-key");
        var connectionString = Option("--connection") ?? Environment.GetEnvironmentVariable("ConnectionStrings__Marten");
        if (checkpointFile is null || keyFile is null || string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync("Usage: verify-ledger --checkpoint FILE --public-key FILE [--connection CS] (or ConnectionStrings__Marten)");
            return 2;
        }
        try
        {
            var record = JsonSerializer.Deserialize<CheckpointRecord>(await File.ReadAllTextAsync(checkpointFile), JsonSetup.Create())
                         ?? throw new InvalidDataException("The checkpoint file is empty.");
            using var publicKey = ECDsa.Create();
            publicKey.ImportFromPem(await File.ReadAllTextAsync(keyFile));
            if (record.Checkpoint.KeyId != Checkpoint.KeyIdOf(publicKey))
            {
                // Not a sign of change: the checkpoint was signed with another key (one the ledger used before, say).
                await Console.Error.WriteLineAsync($"verify-ledger could not run: the checkpoint was signed with key {record.Checkpoint.KeyId}, and {keyFile} is key {Checkpoint.KeyIdOf(publicKey)}: give the public key it was signed with.");
                return 2;
            }
            if (!record.Checkpoint.Verify(publicKey))
            {
                Console.WriteLine($"INVALID: the checkpoint's signature does not verify with {keyFile}.");
                return 1;
            }
            await using var db = NpgsqlDataSource.Create(connectionString);
            using var store = new DocumentStore(MartenSetup.Configure(new StoreOptions(), db));
            // The ledger verifies with the key it holds: here the auditor's public key.
            var ledger = new EventLedger(db, store, publicKey, new LedgerOptions(), NodaTime.SystemClock.Instance, NullLogger<EventLedger>.Instance);
            var (valid, bad) = await ledger.VerifyAsync(record, CancellationToken.None);
            Console.WriteLine(valid
                ? $"VALID: the event log holds the {record.Id} events of the checkpoint, unchanged."
                : $"INVALID: the event log does not match the checkpoint of {record.Id} events" +
                  (bad is { } b ? $"; first changed event: case {b.CaseId} version {b.Version}." : "."));
            return valid ? 0 : 1;
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or CryptographicException or ArgumentException or NpgsqlException)
        {
            await Console.Error.WriteLineAsync($"verify-ledger could not run: {e.Message}");
            return 2;
        }
    }
}
