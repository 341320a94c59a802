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
        var path = Path.Combine(SafeguardingCases.Testing.Repository.Root, "openapi", "v1.json");

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

    [Fact]
    public async Task Enums_are_strings_operations_are_named_and_described_and_problems_are_typed()
    {
        var doc = JsonNode.Parse(await (await api.ClientFor().GetAsync("/swagger/v1/swagger.json")).Content.ReadAsStringAsync())!;
        var schemas = doc["components"]!["schemas"]!.AsObject();
        schemas["Channel"]!["type"]!.GetValue<string>().ShouldBe("string");
        schemas["Channel"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldBe(["Boards", "Chat", "Text"]);
        schemas.Where(s => s.Value!["enum"] is not null).ShouldAllBe(s => s.Value!["type"]!.GetValue<string>() == "string");
        schemas["OpenCaseRequest"]!["required"]!.AsArray().Select(v => v!.GetValue<string>())
            .ShouldBe(["channel", "sourceReference", "serviceUser", "summary"], ignoreOrder: true);
        schemas["RefusalProblem"]!["properties"]!["ruleIds"].ShouldNotBeNull();
        schemas["ValidationProblem"]!["required"]!.AsArray().Select(v => v!.GetValue<string>()).ShouldContain("errors");

        var operations = doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Operation: o.Value!))).ToList();
        operations.Count.ShouldBeGreaterThan(25);
        foreach (var (path, op) in operations)
        {
            op["operationId"]!.GetValue<string>().ShouldMatch("^[a-z][A-Za-z]+$", path);
            op["description"]!.GetValue<string>().ShouldNotBeNullOrWhiteSpace(path);
            op["tags"]!.AsArray().Count.ShouldBe(1, path);
            // Every parameter says what it does (a generated client's only help with a query value is this text).
            foreach (var parameter in op["parameters"]?.AsArray() ?? [])
                if (parameter!["in"]!.GetValue<string>() is "query" or "header")
                    (parameter["description"]?.GetValue<string>()).ShouldNotBeNullOrWhiteSpace($"{path} {parameter["name"]}");
            var bodies = (op["requestBody"]?["content"]?.AsObject().Select(c => c.Value) ?? [])
                .Concat(op["responses"]!.AsObject().Where(r => r.Key.StartsWith('2')).SelectMany(r => r.Value!["content"]?.AsObject().Select(c => c.Value) ?? []));
            bodies.ShouldContain(b => b!["example"] != null, $"{path} has no example");
        }
        OpenApiContract.Committed.CheckExamples().ShouldBeEmpty();
        operations.Select(o => o.Operation["operationId"]!.GetValue<string>()).ShouldBeUnique();
        var openCase = doc["paths"]!["/api/v1/cases"]!["post"]!;
        openCase["operationId"]!.GetValue<string>().ShouldBe("openCase");
        openCase["responses"]!["201"]!["headers"]!.AsObject().Select(h => h.Key).ShouldContain("Location");
        openCase["responses"]!["503"]!["headers"]!["Retry-After"].ShouldNotBeNull();
        openCase["responses"]!["422"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().ShouldEndWith("/RefusalProblem");
        doc["tags"]!.AsArray().ShouldAllBe(t => t!["description"] != null);
        doc["servers"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public void The_contract_check_refuses_what_the_document_does_not_describe()
    {
        var contract = OpenApiContract.Committed;
        contract.Check("GET", "/api/v1/policy/parameters", 200, "application/json", [], """{"unifiedPolicyEffectiveFrom":1}""").ShouldNotBeEmpty();
        contract.Check("GET", "/api/v1/policy/parameters", 418, "application/json", [], "{}").ShouldHaveSingleItem().ShouldContain("status not declared");
        contract.Check("GET", "/api/v1/glossary", 200, "application/json", ["Retry-After"], """{"terms":[],"ruleIds":[]}""")
            .ShouldHaveSingleItem().ShouldContain("Retry-After");
        contract.Check("POST", "/api/v1/cases", 422, "application/problem+json", [],
            """{"type":"/problems/policy-refusal","title":"t","status":422,"traceId":"x","ruleIds":["A"]}""").ShouldBeEmpty();
        contract.Check("GET", "/health/live", 200, "text/plain", [], "Healthy").ShouldBeEmpty("only API routes are in the contract");
    }

    private static string Normalise(string json) =>
        JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
}
