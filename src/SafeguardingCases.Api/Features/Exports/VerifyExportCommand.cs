using System.Security.Cryptography;
using System.Text.Json;

namespace SafeguardingCases.Api.Features.Exports;

/// <summary>
/// <c>dotnet SafeguardingCases.Api.dll verify-export FILE --public-key PEM</c>: checks a saved JSON export offline, with
/// the service's public key alone (no database, no network): the checkpoint's signature, the tree size, and every entry's
/// inclusion proof. Says which entry fails, if any. Exit code 0 when valid, 1 when not, 2 when it cannot run.
/// </summary>
public static class VerifyExportCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var keyFile = Option("--public-key");
        var file = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && a != keyFile);
        if (file is null || keyFile is null)
        {
            await Console.Error.WriteLineAsync("Usage: verify-export FILE --public-key PEM");
            return 2;
        }
        try
        {
            using var key = ECDsa.Create();
            key.ImportFromPem(await File.ReadAllTextAsync(keyFile));
            var verdict = ExportProof.Verify(await File.ReadAllTextAsync(file), key);
            Console.WriteLine(verdict.Valid ? verdict.Message : $"INVALID: {verdict.Message}");
            return verdict.Valid ? 0 : 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException)
        {
            await Console.Error.WriteLineAsync($"verify-export could not run: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            Console.WriteLine($"INVALID: the file is not a chronology export ({e.GetType().Name}).");
            return 1;
        }
    }
}
