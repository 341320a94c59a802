using Microsoft.Extensions.Hosting;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Privacy;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// Opens values sealed at rest (PRIVACY-AT-REST) for tests that read PostgreSQL directly, with the throwaway
/// key-encryption key every API process of the test run shares.
/// </summary>
public static class SealedValues
{
    public static Func<string, string> Opener(string connectionString)
    {
        var ring = new CaseKeyRing(CaseKeyRing.LoadKeyEncryptionKey(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), new TestingHost()),
            NpgsqlDataSource.Create(connectionString));
        return value => CaseKeyRing.IsSealed(value) ? System.Text.Json.JsonSerializer.Deserialize<string>(ring.Unseal(value)!)! : value;
    }

    /// <summary>The Testing environment, for what reads the throwaway key-encryption key outside an API.</summary>
    public sealed class TestingHost : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Testing";
        public string ApplicationName { get; set; } = "tests";
        public string ContentRootPath { get; set; } = "";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
