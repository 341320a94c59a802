using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>
/// Every route × every role and anonymous. Allowed roles get past authorization (any status but 401/403), others
/// get 403, anonymous gets 401. The test fails when the API serves a route this table has no row for.
/// </summary>
public sealed class RoleMatrixTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string O = Roles.SafeguardingOfficer, C = Roles.Clinician, L = Roles.SafeguardingLead, A = Roles.Auditor;

    /// <summary>method, route template, roles allowed (empty: anyone, including anonymous).</summary>
    public static readonly (string Method, string Route, string[] Allowed)[] Matrix =
    [
        ("POST", "/api/v1/cases", [O]),
        ("GET", "/api/v1/cases", [O, C, L]),
        ("POST", "/api/v1/cases/search", [O, C, L]),
        ("GET", "/api/v1/cases/{id}", [O, C, L, A]),
        ("POST", "/api/v1/cases/{id}/disclosures", [O, C]),
        ("POST", "/api/v1/cases/{id}/persons", [O, C]),
        ("PUT", "/api/v1/cases/{id}/persons/{personId}", [O, C]),
        ("POST", "/api/v1/cases/{id}/risk-assessments", [C]),
        ("POST", "/api/v1/cases/{id}/safety-plans", [O, C]),
        ("GET", "/api/v1/cases/{id}/policy", [O, C, L, A]),
        ("POST", "/api/v1/cases/{id}/escalations", [O]),
        ("POST", "/api/v1/cases/{id}/no-escalation-decisions", [C]),
        ("POST", "/api/v1/cases/{id}/transparency-notices", [O, C]),
        ("POST", "/api/v1/cases/{id}/transparency-notices/withheld", [C]),
        ("POST", "/api/v1/cases/{id}/agency-responses", [O]),
        ("POST", "/api/v1/cases/{id}/notes", [O, C, L]),
        ("POST", "/api/v1/cases/{id}/overrides", [L]),
        ("POST", "/api/v1/cases/{id}/overrides/{overrideId}/approvals", [L]),
        ("POST", "/api/v1/cases/{id}/close", [O]),
        ("POST", "/api/v1/cases/{id}/reopen", [O]),
        ("POST", "/api/v1/cases/{id}/required-report-delays", [C]),
        ("PUT", "/api/v1/cases/{id}/restriction", [L]),
        ("DELETE", "/api/v1/cases/{id}/restriction", [L]),
        ("POST", "/api/v1/cases/{id}/break-glass", [O, C, L, A]),
        ("PUT", "/api/v1/cases/{id}/allocation", [O, L]),
        ("DELETE", "/api/v1/cases/{id}/allocation", [O, L]),
        ("PUT", "/api/v1/cases/{id}/legal-hold", [L]),
        ("DELETE", "/api/v1/cases/{id}/legal-hold", [L]),
        ("POST", "/api/v1/cases/{id}/retention-decisions", [L]),
        ("POST", "/api/v1/cases/{id}/retention-decisions/{decisionId}/approval", [L]),
        ("GET", "/api/v1/retention/reviews", [L, A]),
        ("GET", "/api/v1/notifications", [O, C, L, A]),
        ("POST", "/api/v1/notifications/{id}/acknowledgement", [O, C, L, A]),
        ("POST", "/api/v1/webhooks", [L]),
        ("GET", "/api/v1/webhooks", [L]),
        ("DELETE", "/api/v1/webhooks/{id}", [L]),
        ("POST", "/api/v1/webhooks/{id}/secret", [L]),
        ("GET", "/api/v1/webhooks/{id}/deliveries", [L]),
        ("POST", "/api/v1/webhooks/{id}/deliveries/{deliveryId}/redelivery", [L]),
        ("GET", "/api/v1/cases/{id}/history", [A, L, O, C]),
        ("GET", "/api/v1/cases/{id}/as-of", [A, L]),
        ("GET", "/api/v1/cases/{id}/integrity", [A]),
        ("GET", "/api/v1/cases/{id}/chronology", [O, L, A]),
        ("POST", "/api/v1/cases/{id}/subject-access-exports", [O, L]),
        ("GET", "/api/v1/cases/{id}/subject-access-exports/{exportId}", [O, L]),
        ("POST", "/api/v1/cases/{id}/subject-access-exports/{exportId}/decisions", [L]),
        ("POST", "/api/v1/cases/{id}/subject-access-exports/{exportId}/release", [L]),
        ("GET", "/api/v1/cases/{id}/subject-access-exports/{exportId}/document", [O, L]),
        ("GET", "/api/v1/audit/exports", [A]),
        ("GET", "/api/v1/audit/escalations", [A]),
        ("GET", "/api/v1/audit/access", [A]),
        ("GET", "/api/v1/audit/overrides", [A]),
        ("GET", "/api/v1/overrides/awaiting-approval", [L]),
        ("GET", "/api/v1/audit/break-glass", [A]),
        ("POST", "/api/v1/audit/checkpoints", [A]),
        ("GET", "/api/v1/audit/checkpoints/latest", [A]),
        ("GET", "/api/v1/audit/checkpoints/{treeSize}", [A]),
        ("GET", "/api/v1/audit/checkpoints/public-key", [A]),
        ("GET", "/api/v1/audit/proofs/inclusion", [A]),
        ("GET", "/api/v1/audit/proofs/consistency", [A]),
        ("GET", "/api/v1/audit/ledger/verify", [A]),
        ("GET", "/api/v1/reports/escalations", [L, A]),
        ("GET", "/api/v1/glossary", []),
        ("GET", "/api/v1/policy/parameters", [O, C, L, A]),
        ("GET", "/api/v1/staff", [L]),
    ];

    public static TheoryData<string, string> Rows => new(Matrix.Select(m => (m.Method, m.Route)));

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_role_gets_what_the_contract_says(string method, string route)
    {
        var allowed = Matrix.Single(m => m.Method == method && m.Route == route).Allowed;
        var url = route.Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{personId}", "service-user", StringComparison.Ordinal)
            .Replace("{overrideId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{treeSize}", "1", StringComparison.Ordinal)
            .Replace("{exportId}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
            .Replace("{deliveryId}", Guid.NewGuid().ToString(), StringComparison.Ordinal);

        foreach (var role in Roles.All)
        {
            var status = (await Send(api.ClientFor(role), method, url)).StatusCode;
            if (allowed.Length == 0 || allowed.Contains(role))
                status.ShouldNotBeOneOf([HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden], $"{role} {method} {route}");
            else
                status.ShouldBe(HttpStatusCode.Forbidden, $"{role} {method} {route}");
        }

        var anonymous = (await Send(api.ClientFor(), method, url)).StatusCode;
        if (allowed.Length == 0) anonymous.ShouldNotBeOneOf([HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden]);
        else anonymous.ShouldBe(HttpStatusCode.Unauthorized, $"anonymous {method} {route}");
    }

    [Fact]
    public void Every_route_the_api_serves_has_a_row()
    {
        var served = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("api/v1", StringComparison.Ordinal) == true
                        || e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .ToHashSet();
        var rows = Matrix.Select(m => (m.Method, m.Route)).ToHashSet();
        served.Except(rows).ShouldBeEmpty("a served route has no row in the role matrix");
        rows.Except(served).ShouldBeEmpty("the role matrix names a route the API does not serve");
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string method, string url) =>
        method == "GET" ? client.GetAsync(url) : client.SendJson(new HttpMethod(method), url, "{}");
}
