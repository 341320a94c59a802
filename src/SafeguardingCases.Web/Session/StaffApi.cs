using System.Net.Http.Headers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using SafeguardingCases.Web.Client.Generated;
using SafeguardingCases.Web.Client.Generated.Models;

namespace SafeguardingCases.Web.Session;

/// <summary>A problem the API answered, as the console shows it: in words, with the rule IDs; never raw JSON.</summary>
public sealed record ProblemView(int Status, string Title, string Detail, IReadOnlyList<string> RuleIds, IReadOnlyList<string> Errors)
{
    public bool IsStale => Status == 412;
    public bool IsRestricted => Status == 403 && RuleIds.Count > 0;
}

/// <summary>What one call to the API came to: its value, or the problem it answered.</summary>
public sealed record ApiResult<T>(T? Value, ProblemView? Problem)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// The console's one way to the API: the generated client over HTTP to <c>/api/v1</c>, with the signed-in person's
/// token (<see cref="AccessTokenHandler"/>). Problems come back as values the pages show.
/// </summary>
public sealed class StaffApi(IHttpClientFactory factory, ApiAddress address, IHttpContextAccessor accessor)
{
    public const string HttpClientName = "staff-api";

    private SafeguardingClient? client;

    public SafeguardingClient Client => client ??= new SafeguardingClient(
        new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: factory.CreateClient(HttpClientName)) { BaseUrl = address.Base });

    public async Task<ApiResult<T>> Call<T>(Func<SafeguardingClient, Task<T?>> call)
    {
        try
        {
            return new ApiResult<T>(await call(Client), null);
        }
        catch (RefusalProblem p)
        {
            return new ApiResult<T>(default, new ProblemView(p.ResponseStatusCode, p.Title ?? "Refused", p.Detail ?? "", p.RuleIds ?? [], []));
        }
        catch (ValidationProblem p)
        {
            return new ApiResult<T>(default, new ProblemView(p.ResponseStatusCode, "Some of what was entered cannot be recorded", p.Detail ?? "",
                [], [.. (p.Errors ?? []).Select(e => e.Reason ?? e.Name ?? "")]));
        }
        catch (Problem p)
        {
            return new ApiResult<T>(default, new ProblemView(p.ResponseStatusCode, p.Title ?? "The request was not done", p.Detail ?? "", [], []));
        }
        catch (ApiException e)
        {
            // The API no longer accepts the person's token (it expired before the console's session did): end the
            // console's session too, so the next page asks them to sign in.
            if (e.ResponseStatusCode == 401 && accessor.HttpContext is { Response.HasStarted: false } http) await ConsoleAuth.SignOutAsync(http);
            return new ApiResult<T>(default, new ProblemView(e.ResponseStatusCode, "The request was not done",
                e.ResponseStatusCode == 401 ? "Your session has ended; sign in again." : "The service could not answer; try again in a moment.", [], []));
        }
        catch (HttpRequestException)
        {
            return new ApiResult<T>(default, new ProblemView(503, "The service is unavailable", "The service could not be reached; try again in a moment.", [], []));
        }
    }

    /// <summary>Headers every command on a case sends: the version the page showed, and the form's one key.</summary>
    public static Action<RequestConfiguration<DefaultQueryParameters>> Command(long? version, string idempotencyKey) => c =>
    {
        if (version is { } v) c.Headers.Add("If-Match", $"\"{v}\"");
        c.Headers.Add("Idempotency-Key", idempotencyKey);
    };
}

/// <summary>Adds the signed-in person's access token, kept in their server-side session, to every call to the API.</summary>
public sealed class AccessTokenHandler(IHttpContextAccessor accessor) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (accessor.HttpContext is { } http && await http.GetTokenAsync(ConsoleAuth.Scheme, ConsoleAuth.AccessToken) is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Where the API answers: <c>Console__ApiBaseAddress</c>, or this process's own first address (loopback for a wildcard).</summary>
public sealed class ApiAddress(ConsoleOptions options, IServer server)
{
    private string? resolved;

    public string Base => resolved ??= Resolve();

    private string Resolve()
    {
        if (options.ApiBaseAddress is { } configured) return configured.ToString().TrimEnd('/');
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var first = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The console cannot tell where the API listens: set Console__ApiBaseAddress.");
        var uri = new Uri(first.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal).Replace("://[::]", "://[::1]", StringComparison.Ordinal));
        return uri.GetLeftPart(UriPartial.Authority);
    }
}

/// <summary>The API's glossary, read once: the terms that explain each rule ID a refusal or a decision cites.</summary>
public sealed class GlossaryCache(IHttpClientFactory factory, ApiAddress address)
{
    private IReadOnlyList<GlossaryEntry>? entries;

    public async Task<IReadOnlyList<(string Term, string Definition)>> ExplainAsync(string ruleId)
    {
        if (entries is null)
        {
            try
            {
                var client = new SafeguardingClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: factory.CreateClient()) { BaseUrl = address.Base });
                entries = (await client.Api.V1.Glossary.GetAsync())?.Terms ?? [];
            }
            catch (Exception e) when (e is ApiException or HttpRequestException)
            {
                return [];
            }
        }
        return [.. entries.Where(e => e.RuleIds?.Contains(ruleId) == true).Select(e => (e.Term ?? "", e.Definition ?? ""))];
    }
}
