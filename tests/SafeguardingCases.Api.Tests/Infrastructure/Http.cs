using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>Small helpers for JSON over HTTP in tests.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body, string? ifMatch = null, string? idempotencyKey = null) =>
        client.SendJson(HttpMethod.Post, url, JsonSerializer.Serialize(body), ifMatch, idempotencyKey);

    public static Task<HttpResponseMessage> PutJson(this HttpClient client, string url, object body, string? ifMatch = null) =>
        client.SendJson(HttpMethod.Put, url, JsonSerializer.Serialize(body), ifMatch, null);

    public static Task<HttpResponseMessage> SendJson(this HttpClient client, HttpMethod method, string url, string rawJson, string? ifMatch = null, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(rawJson, Encoding.UTF8, "application/json") };
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    public static async Task<JsonNode> Json(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("Empty body");
    }

    public static string? ETag(this HttpResponseMessage response) => response.Headers.ETag?.Tag;

    /// <summary>Asserts a problem-details answer with this status and returns its body.</summary>
    public static async Task<JsonNode> ShouldBeProblem(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", text);
        var body = JsonNode.Parse(text)!;
        body["status"]!.GetValue<int>().ShouldBe((int)status);
        return body;
    }

    public static string[] RuleIds(this JsonNode problem) =>
        problem["ruleIds"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray() ?? [];

    public static async Task<HttpResponseMessage> ShouldBe(this Task<HttpResponseMessage> call, HttpStatusCode status)
    {
        var response = await call;
        if (response.StatusCode != status)
            throw new ShouldAssertException($"Expected {(int)status} {status} but got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    public static Task<T?> Read<T>(this HttpResponseMessage response) => response.Content.ReadFromJsonAsync<T>();

    /// <summary>A problem body says what is wrong in the contract's words: no .NET, SQL or host details.</summary>
    public static void ShouldCarryNoInternals(this JsonNode problem)
    {
        var text = problem.ToJsonString();
        foreach (var leak in new[] { "Exception", "System.", "Npgsql", "Marten", "SELECT", "select ", "insert ", "127.0.0.1", "localhost", "   at " })
        {
            text.ShouldNotContain(leak, Case.Sensitive, $"problem body leaks '{leak}': {text}");
        }
        problem["traceId"]!.GetValue<string>().ShouldMatch("^[0-9a-f]{32}$");
    }
}
