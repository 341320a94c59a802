using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>The committed OpenAPI document (openapi/v1.json) is exactly what the API serves.</summary>
public sealed class OpenApiDocumentTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    public const string UpdateVariable = "SAFEGUARDING_UPDATE_OPENAPI";
    private const string RegenerateCommand = "SAFEGUARDING_UPDATE_OPENAPI=1 dotnet test tests/SafeguardingCases.Api.Tests --filter FullyQualifiedName~OpenApiDocumentTests";

    [Fact]
    public async Task The_committed_document_matches_the_served_one()
    {
        var served = await api.ClientFor().GetAsync("/swagger/v1/swagger.json").ShouldBe(HttpStatusCode.OK);
        var servedJson = Normalise(await served.Content.ReadAsStringAsync());
        var path = Path.Combine(RepositoryRoot(), "openapi", "v1.json");

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(path, servedJson);
            return;
        }

        File.Exists(path).ShouldBeTrue($"openapi/v1.json is missing. Regenerate it with: {RegenerateCommand}");
        var committed = Normalise(await File.ReadAllTextAsync(path));
        committed.ShouldBe(servedJson, $"openapi/v1.json differs from the served document. Regenerate it with: {RegenerateCommand}");
    }

    [Fact]
    public async Task Route_parameters_show_and_get_endpoints_have_no_body()
    {
        var doc = JsonNode.Parse(await (await api.ClientFor().GetAsync("/swagger/v1/swagger.json")).Content.ReadAsStringAsync())!;
        var getCase = doc["paths"]!["/api/v1/cases/{id}"]!["get"]!;
        getCase["requestBody"].ShouldBeNull();
        getCase["parameters"]!.AsArray().ShouldContain(p => p!["name"]!.GetValue<string>() == "id" && p["in"]!.GetValue<string>() == "path");
        var addNote = doc["paths"]!["/api/v1/cases/{id}/notes"]!["post"]!;
        addNote["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ShouldBe(["id", "Idempotency-Key", "If-Match"], ignoreOrder: true);
        addNote["responses"]!.AsObject().Select(r => r.Key).ShouldContain("412");
        doc["components"]!["securitySchemes"]!["Bearer"].ShouldNotBeNull();
    }

    private static string Normalise(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SafeguardingCases.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Could not find the repository root (SafeguardingCases.sln).");
    }
}
