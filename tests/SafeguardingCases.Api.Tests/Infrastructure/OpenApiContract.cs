using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// The committed OpenAPI document (openapi/v1.json) as a contract every response must keep: its status is declared
/// for the operation, its content type and body validate against the declared JSON Schema (OpenAPI 3.1 schemas are
/// JSON Schema 2020-12, checked with JsonSchema.Net), and the headers the contract names (ETag, Location,
/// Retry-After, Idempotent-Replayed) appear only where declared.
/// </summary>
public sealed class OpenApiContract
{
    private const string Root = "https://contract.safeguarding.test/openapi";
    private static readonly string[] ContractHeaders = ["ETag", "Location", "Retry-After", "Idempotent-Replayed"];
    private static readonly Lazy<OpenApiContract> Lazy = new(() => new OpenApiContract(File.ReadAllText(Path.Combine(SafeguardingCases.Testing.Repository.Root, "openapi", "v1.json"))));

    private readonly JsonNode document;
    private readonly List<(Regex Pattern, string Template)> paths;
    private readonly BuildOptions build = new() { SchemaRegistry = new SchemaRegistry() };
    private readonly ConcurrentDictionary<string, JsonSchema> schemas = new(StringComparer.Ordinal);
    private int built;
    private readonly Lock gate = new();

    public static OpenApiContract Committed => Lazy.Value;

    private OpenApiContract(string json)
    {
        document = JsonNode.Parse(json)!;
        paths = [.. document["paths"]!.AsObject().Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^}]+}", "[^/]+") + "$"), p.Key))];
        var defs = Rewrite(document["components"]!["schemas"]!.DeepClone());
        JsonSchema.FromText(new JsonObject { ["$id"] = Root, ["$defs"] = defs }.ToJsonString(), build);
    }

    /// <summary>What the response breaks of the contract; empty when it keeps it, or when the path is not an API route.</summary>
    public IReadOnlyList<string> Check(string method, string path, int status, string? mediaType, IEnumerable<string> headers, string body)
    {
        var template = paths.Where(p => p.Pattern.IsMatch(path)).OrderBy(p => p.Template.Count(c => c == '{')).Select(p => p.Template).FirstOrDefault();
        if (template is null) return [];
        var where = $"{method} {template} {status}";
        if (document["paths"]![template]![method.ToLowerInvariant()] is not { } operation) return [$"{method} {template}: not in the document"];
        if (operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not { } response)
            return [$"{where}: status not declared"];

        var errors = new List<string>();
        var declaredHeaders = response["headers"]?.AsObject().Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        foreach (var header in headers.Where(h => ContractHeaders.Contains(h, StringComparer.OrdinalIgnoreCase) && !declaredHeaders.Contains(h)))
            errors.Add($"{where}: header {header} not declared");

        var content = response["content"]?.AsObject();
        if (content is null || content.Count == 0)
        {
            if (body.Length > 0) errors.Add($"{where}: a body where none is declared");
            return errors;
        }
        if (mediaType is null || content[mediaType] is not { } media)
        {
            errors.Add($"{where}: content type {mediaType ?? "(none)"} not declared ({string.Join(", ", content.Select(c => c.Key))})");
            return errors;
        }
        if (!mediaType.Contains("json", StringComparison.Ordinal))
        {
            // A file (CSV, PDF): declared as a string; its content is checked by the tests that read it.
            if (media["schema"]?["type"]?.GetValue<string>() != "string") errors.Add($"{where}: {mediaType} is not declared as a string");
            if (body.Length == 0) errors.Add($"{where}: an empty {mediaType} body");
            return errors;
        }
        EvaluationResults result;
        // JsonSchema.Net's schema registry is not safe to build into while another thread resolves from it.
        lock (gate)
        {
            var schema = schemas.GetOrAdd(where + mediaType, _ => Build(media["schema"]!));
            result = schema.Evaluate(JsonDocument.Parse(body).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        }
        if (!result.IsValid)
        {
            var details = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Take(8);
            errors.Add($"{where}: body does not match the schema: {string.Join("; ", details)}\n{Truncate(body)}");
        }
        return errors;
    }

    /// <summary>Every request body's example, by operation id, with the operation's method and path template.</summary>
    public IReadOnlyDictionary<string, (HttpMethod Method, string Path, JsonNode Example)> RequestExamples() =>
        document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value!)))
            .Where(o => o.Operation["requestBody"]?["content"]?["application/json"]?["example"] is not null)
            .ToDictionary(o => o.Operation["operationId"]!.GetValue<string>(),
                o => (new HttpMethod(o.Method.ToUpperInvariant()), o.Path, o.Operation["requestBody"]!["content"]!["application/json"]!["example"]!.DeepClone()));

    /// <summary>Every example the document gives (request bodies and answers), checked against its own schema.</summary>
    public IReadOnlyList<string> CheckExamples()
    {
        var errors = new List<string>();
        var count = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                var media = new List<(string Where, JsonNode Media)>();
                if (operation!["requestBody"]?["content"]?.AsObject() is { } request)
                    media.AddRange(request.Select(c => ($"{method} {path} request", c.Value!)));
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    if (response!["content"]?.AsObject() is { } content) media.AddRange(content.Select(c => ($"{method} {path} {status}", c.Value!)));
                }
                foreach (var (where, m) in media)
                {
                    if (m["example"] is not { } example) continue;
                    count++;
                    using var held = gate.EnterScope();
                    var result = Build(m["schema"]!).Evaluate(JsonDocument.Parse(example.ToJsonString()).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                    if (!result.IsValid) errors.Add($"{where}: the example does not match its schema");
                }
            }
        }
        if (count == 0) errors.Add("the document has no examples");
        return errors;
    }

    private JsonSchema Build(JsonNode schema)
    {
        var node = Rewrite(schema.DeepClone());
        var id = Interlocked.Increment(ref built);
        var wrapper = new JsonObject { ["$id"] = $"{Root}/response/{id}", ["allOf"] = new JsonArray(node) };
        return JsonSchema.FromText(wrapper.ToJsonString(), build);
    }

    /// <summary>Points OpenAPI's component references at the same schemas as JSON Schema $defs of the root document.</summary>
    private static JsonNode Rewrite(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "$ref" && value?.GetValue<string>() is { } reference && reference.StartsWith("#/components/schemas/", StringComparison.Ordinal))
                        obj[key] = $"{Root}#/$defs/{reference["#/components/schemas/".Length..]}";
                    else if (value is not null)
                        Rewrite(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array) if (item is not null) Rewrite(item);
                break;
        }
        return node;
    }

    private static string Truncate(string body) => body.Length > 600 ? body[..600] + "..." : body;
}

/// <summary>Thrown into the test that received a response the OpenAPI document does not describe.</summary>
public sealed class ContractViolationException(string message) : Exception(message);

/// <summary>Checks every response an API test receives against the committed OpenAPI document.</summary>
public sealed class ContractValidatingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var headers = response.Headers.Select(h => h.Key).Concat(response.Content.Headers.Select(h => h.Key));
        var errors = OpenApiContract.Committed.Check(request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode,
            response.Content.Headers.ContentType?.MediaType, headers, body);
        if (errors.Count > 0) throw new ContractViolationException("The response breaks openapi/v1.json:\n" + string.Join("\n", errors));
        return response;
    }
}
