using System.Net;
using System.Security.Cryptography;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// The API as Production runs it (with development tokens allowed explicitly and a ledger key on disk): Swagger UI is
/// not served unless <c>Swagger__Ui=true</c>; the OpenAPI document still is, for clients.
/// </summary>
public sealed class ProductionHostingTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task Swagger_ui_is_off_in_production_unless_configured(string? swaggerUi, bool served)
    {
        await using var api = new ProductionApi(swaggerUi);
        await api.InitializeAsync();
        var client = api.ClientFor();
        // Not served, the path is like any other unknown one: the deny-by-default policy answers 401 to anonymous callers.
        var ui = await client.GetAsync("/swagger/index.html");
        ui.StatusCode.ShouldBe(served ? HttpStatusCode.OK : HttpStatusCode.Unauthorized);
        (await ui.Content.ReadAsStringAsync()).Contains("swagger-ui", StringComparison.Ordinal).ShouldBe(served);
        await client.GetAsync("/swagger/v1/swagger.json").ShouldBe(HttpStatusCode.OK);
        await api.ClientFor(Domain.Cases.Roles.SafeguardingOfficer).GetAsync("/api/v1/cases").ShouldBe(HttpStatusCode.OK);
    }

    private sealed class ProductionApi(string? swaggerUi) : ApiFactory
    {
        private readonly string keyFile = WriteKey();

        protected override string Environment => "Production";

        /// <summary>A key-encryption key on disk, as a Kubernetes secret mounted as a file provides it.</summary>
        private static readonly string PrivacyKey = WritePrivacyKey();

        private static string WritePrivacyKey()
        {
            var path = Path.Combine(Path.GetTempPath(), $"privacy-{Guid.NewGuid():N}.key");
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            return path;
        }

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Ledger:SigningKeyPath"] = keyFile,
            ["Privacy:KeyPath"] = PrivacyKey,
            ["Swagger:Ui"] = swaggerUi,
        };

        private static string WriteKey()
        {
            var file = Path.Combine(Path.GetTempPath(), $"ledger-key-{Guid.NewGuid():N}.pem");
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            File.WriteAllText(file, key.ExportPkcs8PrivateKeyPem());
            return file;
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            File.Delete(keyFile);
        }
    }
}
