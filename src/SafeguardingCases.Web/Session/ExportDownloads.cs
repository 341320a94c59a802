using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace SafeguardingCases.Web.Session;

/// <summary>
/// The console's downloads of exports (a page cannot answer a file): each asks the API with the signed-in person's own
/// token, as every page does, and hands the file on as an attachment; a problem goes back to the page it came from,
/// sealed in its address with ASP.NET's data protection (for a few minutes): the page shows only what this console put
/// there, never words someone else wrote into a link ("call this number about this case") in the console's own alert.
/// </summary>
public static class ExportDownloads
{
    private static readonly string[] ChronologyParameters = ["audience", "agency", "recipient", "purpose"];

    private static QueryString Query(IEnumerable<(string Key, string Value)> pairs) =>
        QueryString.Create(pairs.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value)));

    public static void MapExportDownloads(this IEndpointRouteBuilder app)
    {
        var signedIn = new AuthorizeAttribute { AuthenticationSchemes = ConsoleAuth.Scheme };
        app.MapGet("/cases/{id:guid}/chronology", (Guid id, HttpContext http, IHttpClientFactory factory, ApiAddress address) =>
        {
            var q = http.Request.Query;
            var query = Query(ChronologyParameters.Where(k => !string.IsNullOrWhiteSpace(q[k].ToString())).Select(k => (k, q[k].ToString())));
            return ProxyAsync(http, factory, address, $"/api/v1/cases/{id}/chronology{query}", q["format"].ToString(), $"/cases/{id}", "exports");
        }).RequireAuthorization(signedIn).ExcludeFromDescription();
        app.MapGet("/cases/{id:guid}/subject-access/{exportId:guid}/document", (Guid id, Guid exportId, HttpContext http, IHttpClientFactory factory, ApiAddress address) =>
            ProxyAsync(http, factory, address, $"/api/v1/cases/{id}/subject-access-exports/{exportId}/document", http.Request.Query["format"].ToString(),
                $"/cases/{id}/subject-access/{exportId}", "document")).RequireAuthorization(signedIn).ExcludeFromDescription();
    }

    private static async Task<IResult> ProxyAsync(HttpContext http, IHttpClientFactory factory, ApiAddress address, string path, string format,
        string back, string anchor)
    {
        var accept = format switch { "csv" => "text/csv", "json" => "application/json", _ => "application/pdf" };
        using var request = new HttpRequestMessage(HttpMethod.Get, address.Base + path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        try
        {
            using var response = await factory.CreateClient(StaffApi.HttpClientName).SendAsync(request, http.RequestAborted);
            var body = await response.Content.ReadAsByteArrayAsync(http.RequestAborted);
            if (response.IsSuccessStatusCode)
            {
                var name = response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"')
                           ?? $"export.{(format is "csv" or "json" ? format : "pdf")}";
                return Results.File(body, response.Content.Headers.ContentType?.ToString() ?? accept, name);
            }
            return Results.Redirect(back + Sealed(http, Problem(body, (int)response.StatusCode)) + "#" + anchor);
        }
        catch (HttpRequestException)
        {
            return Results.Redirect(back + Sealed(http, new ProblemView(503, "The service is unavailable", "Try again in a moment.", [], [])) + "#" + anchor);
        }
    }

    private const string ProblemPurpose = "SafeguardingCases.Web.ExportProblem";

    /// <summary>How long the page it goes back to can read a problem: long enough for the redirect, not for a link kept.</summary>
    private static readonly TimeSpan ProblemLifetime = TimeSpan.FromMinutes(5);

    private static ITimeLimitedDataProtector Protector(HttpContext http) =>
        http.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(ProblemPurpose).ToTimeLimitedDataProtector();

    private static QueryString Sealed(HttpContext http, ProblemView problem) =>
        QueryString.Create("problem", Protector(http).Protect(JsonSerializer.Serialize(problem), ProblemLifetime));

    /// <summary>The problem's title, detail and rule IDs for the page to show (a problem carries nothing recorded about a person).</summary>
    private static ProblemView Problem(byte[] body, int status)
    {
        string title = $"The export was not made ({status})", detail = "";
        string[] rules = [];
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.TryGetProperty("title", out var t)) title = t.GetString() ?? title;
            if (root.TryGetProperty("detail", out var d)) detail = d.GetString() ?? "";
            if (root.TryGetProperty("ruleIds", out var r) && r.ValueKind == JsonValueKind.Array)
                rules = [.. r.EnumerateArray().Select(x => x.GetString()).OfType<string>().Where(x => x.Length > 0)];
            if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Array)
                detail = string.Join(" ", e.EnumerateArray().Select(x => x.TryGetProperty("reason", out var reason) ? reason.GetString() : null).Where(x => x is not null).Prepend(detail));
        }
        catch (JsonException)
        {
            // Not a problem document: the status says enough.
        }
        return new ProblemView(status, title, detail.Trim(), rules, []);
    }

    /// <summary>
    /// The problem a download sent back to the page, from its query; null when there is none, or when it is not one
    /// this console sealed in the last few minutes (made up, altered, expired, or sealed before a restart).
    /// </summary>
    public static ProblemView? FromQuery(HttpContext http, string? problem)
    {
        if (string.IsNullOrEmpty(problem)) return null;
        try
        {
            return JsonSerializer.Deserialize<ProblemView>(Protector(http).Unprotect(problem, out _));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or JsonException)
        {
            return null;
        }
    }
}
