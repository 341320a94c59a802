using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// Nothing a client can send gets a 500: characters PostgreSQL's jsonb cannot store, paging and range extremes,
/// a token that does not name its bearer. Each is a 4xx problem naming what is wrong, with no exception text, and a
/// refused command appends nothing.
/// </summary>
public sealed class NoServerErrorTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Bad = "@BAD@";

    /// <summary>Every free-text field of every command, each with a valid body around it.</summary>
    public static readonly (string Method, string Route, string Body, string Field)[] FreeTextFields =
    [
        ("POST", "/cases", """{"channel":"Boards","sourceReference":"@BAD@","serviceUser":{"reference":"u"},"summary":"s"}""", "sourceReference"),
        ("POST", "/cases", """{"channel":"Boards","sourceReference":"p","serviceUser":{"reference":"@BAD@"},"summary":"s"}""", "serviceUser.reference"),
        ("POST", "/cases", """{"channel":"Boards","sourceReference":"p","serviceUser":{"reference":"u"},"summary":"@BAD@"}""", "summary"),
        ("POST", "/cases/{id}/notes", """{"text":"@BAD@"}""", "text"),
        ("POST", "/cases/{id}/disclosures", """{"disclosedAt":"2026-01-01T00:00:00Z","channel":"Chat","sourceReference":"@BAD@","summary":"s","concerns":[]}""", "sourceReference"),
        ("POST", "/cases/{id}/disclosures", """{"disclosedAt":"2026-01-01T00:00:00Z","channel":"Chat","sourceReference":"p","summary":"@BAD@","concerns":[]}""", "summary"),
        ("POST", "/cases/{id}/disclosures", """{"disclosedAt":"2026-01-01T00:00:00Z","channel":"Chat","sourceReference":"p","summary":"s","concerns":[{"category":"Physical","status":"Current","personId":"@BAD@"}]}""", "concerns[0].personId"),
        ("POST", "/cases/{id}/persons", """{"reference":"@BAD@","description":"d"}""", "reference"),
        ("POST", "/cases/{id}/persons", """{"reference":"r","description":"@BAD@"}""", "description"),
        ("POST", "/cases/{id}/risk-assessments", """{"assessments":[{"personId":"service-user","threatToLife":"None","currentConcerns":[],"recommendedRoute":"None"}],"rationale":"@BAD@"}""", "rationale"),
        ("POST", "/cases/{id}/risk-assessments", """{"assessments":[{"personId":"@BAD@","threatToLife":"None","currentConcerns":[],"recommendedRoute":"None"}],"rationale":"r"}""", "assessments[0].personId"),
        ("POST", "/cases/{id}/risk-assessments", """{"assessments":[{"personId":"service-user","threatToLife":"None","currentConcerns":[],"recommendedRoute":"None","peerExemption":{"reason":"@BAD@"}}],"rationale":"r"}""", "assessments[0].peerExemption.reason"),
        ("POST", "/cases/{id}/safety-plans", """{"outcome":"NotPossible","reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/escalations", """{"route":"NonEmergency","agency":"Lado","personId":"@BAD@","riskAssessmentId":"6b1f0c1e-0000-4000-8000-000000000001","reliesOn":[],"informationShared":[]}""", "personId"),
        ("POST", "/cases/{id}/no-escalation-decisions", """{"reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/transparency-notices", """{"escalationId":"6b1f0c1e-0000-4000-8000-000000000001","message":"@BAD@","sentVia":"v"}""", "message"),
        ("POST", "/cases/{id}/transparency-notices", """{"escalationId":"6b1f0c1e-0000-4000-8000-000000000001","message":"m","sentVia":"@BAD@"}""", "sentVia"),
        ("POST", "/cases/{id}/transparency-notices/withheld", """{"escalationId":"6b1f0c1e-0000-4000-8000-000000000001","reason":"NoMeansOfContact","detail":"@BAD@"}""", "detail"),
        ("POST", "/cases/{id}/agency-responses", """{"escalationId":"6b1f0c1e-0000-4000-8000-000000000001","summary":"@BAD@"}""", "summary"),
        ("POST", "/cases/{id}/overrides", """{"route":"NonEmergency","personId":"service-user","justification":"@BAD@"}""", "justification"),
        ("POST", "/cases/{id}/overrides", """{"route":"NonEmergency","personId":"@BAD@","justification":"j"}""", "personId"),
        ("POST", "/cases/{id}/overrides/6b1f0c1e-0000-4000-8000-000000000001/approvals", """{"justification":"@BAD@"}""", "justification"),
        ("POST", "/cases/{id}/close", """{"reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/reopen", """{"reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/required-report-delays", """{"personId":"service-user","until":"2026-01-01T00:00:00Z","reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/required-report-delays", """{"personId":"@BAD@","until":"2026-01-01T00:00:00Z","reason":"r"}""", "personId"),
        ("PUT", "/cases/{id}/restriction", """{"allowedSubjects":["lead-1"],"reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/break-glass", """{"reason":"@BAD@"}""", "reason"),
        ("PUT", "/cases/{id}/allocation", """{"subject":"@BAD@","name":"n","email":"a@example.org"}""", "subject"),
        ("PUT", "/cases/{id}/allocation", """{"subject":"s","name":"@BAD@","email":"a@example.org"}""", "name"),
        ("PUT", "/cases/{id}/allocation", """{"subject":"s","name":"n","email":"@BAD@"}""", "email"),
        ("PUT", "/cases/{id}/legal-hold", """{"reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/retention-decisions", """{"decision":"Keep","keepUntil":"2099-01-01T00:00:00Z","reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/retention-decisions", """{"decision":"Destroy","reason":"@BAD@"}""", "reason"),
        ("POST", "/cases/{id}/subject-access-exports/6b1f0c1e-0000-4000-8000-000000000003/decisions", """{"flagId":"6b1f0c1e-0000-4000-8000-000000000004","decision":"Withhold","ground":"@BAD@"}""", "ground"),
        ("POST", "/webhooks", """{"url":"@BAD@","events":["CaseClosed"]}""", "url"),
        ("POST", "/cases/search", """{"reference":"@BAD@"}""", "reference"),
        ("POST", "/cases/search", """{"reference":"r","cursor":"@BAD@"}""", "cursor"),
    ];

    public static TheoryData<int, string> Cases()
    {
        var data = new TheoryData<int, string>();
        for (var i = 0; i < FreeTextFields.Length; i++)
        {
            foreach (var bad in new[] { "NUL", "lone surrogate" }) data.Add(i, bad);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_string_jsonb_cannot_store_is_400_naming_the_field_and_appends_nothing(int row, string what)
    {
        var (method, route, body, field) = FreeTextFields[row];
        var id = await api.OpenCase();
        var before = await api.EventCountAll();
        var client = api.ClientFor(Roles.All.ToArray());
        var value = what == "NUL" ? "a\\u0000b" : "a\\ud800b";

        var response = await client.SendJson(new HttpMethod(method), "/api/v1" + route.Replace("{id}", id.ToString(), StringComparison.Ordinal),
            body.Replace(Bad, value, StringComparison.Ordinal));

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["type"]!.GetValue<string>().ShouldBe("/problems/validation");
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain(field, $"{route} {what}");
        problem.ShouldCarryNoInternals();
        (await api.EventCountAll()).ShouldBe(before);
    }

    [Fact]
    public void Every_free_text_field_of_every_command_is_in_the_table()
    {
        // From the endpoints the API serves: each command's request type, and every string in it (nested ones too).
        var served = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Route: e.RoutePattern.RawText!, Definition: e.Metadata.GetMetadata<FastEndpoints.EndpointDefinition>()))
            .Where(e => e.Definition is not null && e.Definition.Verbs.Any(v => v is "POST" or "PUT"))
            .SelectMany(e => StringFields(e.Definition!.ReqDtoType, "").Select(f => (Route: "/" + e.Route["api/v1/".Length..].TrimStart('/'), Field: f)))
            .ToHashSet();

        var table = FreeTextFields.Select(f => (Route: ToTemplate(f.Route), f.Field)).ToHashSet();

        served.Except(table).ShouldBeEmpty("a text field the API accepts is not tested with characters jsonb cannot store");
        table.Except(served).ShouldBeEmpty("the table names a field the API does not accept");
    }

    private static string ToTemplate(string route) =>
        route.Replace("6b1f0c1e-0000-4000-8000-000000000001", "{overrideId}", StringComparison.Ordinal)
            .Replace("6b1f0c1e-0000-4000-8000-000000000003", "{exportId}", StringComparison.Ordinal);

    private static IEnumerable<string> StringFields(Type type, string prefix)
    {
        foreach (var property in type.GetProperties())
        {
            var name = prefix + System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            var t = property.PropertyType;
            if (t == typeof(string)) yield return name;
            else if (t.IsGenericType && t.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
            {
                if (element != typeof(string) && element.Namespace?.StartsWith("SafeguardingCases", StringComparison.Ordinal) == true && element.IsClass)
                    foreach (var inner in StringFields(element, name + "[0].")) yield return inner;
            }
            else if (t.IsClass && t.Namespace?.StartsWith("SafeguardingCases.Api", StringComparison.Ordinal) == true)
                foreach (var inner in StringFields(t, name + ".")) yield return inner;
        }
    }

    [Theory]
    [InlineData("/api/v1/cases?page=999999999")]
    [InlineData("/api/v1/cases?page=0")]
    [InlineData("/api/v1/cases?pageSize=100000")]
    [InlineData("/api/v1/cases?page=2147483648")]
    [InlineData("/api/v1/audit/access?limit=999999999")]
    [InlineData("/api/v1/audit/access?cursor=bm90LWEtY3Vyc29y")]
    [InlineData("/api/v1/cases?cursor=bm90LWEtY3Vyc29y")]
    [InlineData("/api/v1/cases?limit=201")]
    [InlineData("/api/v1/audit/escalations?to=-9998-01-01T00:00:00Z")]
    [InlineData("/api/v1/audit/escalations?from=9999-12-31T23:59:59Z")]
    [InlineData("/api/v1/reports/escalations?to=-9998-01-01T00:00:00Z")]
    [InlineData("/api/v1/reports/escalations?from=0001-01-01T00:00:00Z&to=9999-01-01T00:00:00Z")]
    [InlineData("/api/v1/cases/6b1f0c1e-0000-4000-8000-000000000001/as-of?at=-9998-01-01T00:00:00Z")]
    [InlineData("/api/v1/cases/6b1f0c1e-0000-4000-8000-000000000001/as-of?version=9223372036854775808")]
    public async Task Paging_and_range_extremes_are_400(string url)
    {
        var client = api.ClientFor(Roles.All.ToArray());

        var problem = await (await client.GetAsync(url)).ShouldBeProblem(HttpStatusCode.BadRequest);

        problem.ShouldCarryNoInternals();
    }

    [Fact]
    public async Task A_token_without_sub_is_401_and_appends_nothing()
    {
        var id = await api.OpenCase();
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = "safeguarding-dev",
            Audience = "safeguarding-api",
            Claims = new Dictionary<string, object> { ["name"] = "No Subject", ["role"] = new[] { Roles.SafeguardingOfficer } },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new(Api.Infrastructure.Auth.DevTokens.SigningKey(ApiFactory.SigningKey), "HS256"),
        });
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);

        (await client.PostJson($"/api/v1/cases/{id}/notes", new { text = "who am I?" }, idempotencyKey: "k")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.GetAsync($"/api/v1/cases/{id}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk")]
    [InlineData("caf\u00e9")]
    public async Task An_idempotency_key_that_is_not_printable_ascii_is_400(string key)
    {
        var id = await api.OpenCase();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/cases/{id}/notes") { Content = JsonContent(new { text = "x" }) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await api.ClientFor(Roles.SafeguardingOfficer).SendAsync(request);

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]![0]!["name"]!.GetValue<string>().ShouldBe("Idempotency-Key");
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Theory]
    [InlineData("""{"text":"a note","txet":"typed twice"}""", "txet", "is not a field this request takes")]
    [InlineData("""{"text":"first","text":"second"}""", "text", "is sent more than once")]
    public async Task A_body_that_says_two_things_is_400_naming_the_field_and_appends_nothing(string body, string field, string reason)
    {
        var id = await api.OpenCase();
        var response = await api.ClientFor(Roles.SafeguardingOfficer).SendJson(HttpMethod.Post, $"/api/v1/cases/{id}/notes", body, idempotencyKey: Guid.NewGuid().ToString());

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]![0]!["name"]!.GetValue<string>().ShouldBe(field);
        problem["errors"]![0]!["reason"]!.GetValue<string>().ShouldContain(reason);
        problem.ShouldCarryNoInternals();
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_misspelt_adult_at_risk_answer_is_refused_not_dropped_so_the_classification_is_never_silently_unchanged()
    {
        var id = await api.OpenCase();
        var response = await api.ClientFor(Roles.SafeguardingOfficer).SendJson(HttpMethod.Put, $"/api/v1/cases/{id}/persons/service-user",
            """{"ageYears":22,"careAndSupportNeed":true}""");

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]![0]!["name"]!.GetValue<string>().ShouldBe("careAndSupportNeed");
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task What_the_http_stack_refuses_is_typed_for_the_client_to_put_right_never_as_internal()
    {
        var id = await api.OpenCase();
        var before = await api.EventCountAll();

        // 415: a body not sent as JSON (declared on every operation that takes a body: this client checks the contract).
        var notJson = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/cases/{id}/notes")
        {
            Content = new StringContent("""{"text":"sent as text"}""", System.Text.Encoding.UTF8, "text/plain"),
        };
        var unsupported = await (await api.ClientFor(Roles.SafeguardingOfficer).SendAsync(notJson)).ShouldBeProblem(HttpStatusCode.UnsupportedMediaType);
        unsupported["type"]!.GetValue<string>().ShouldBe("/problems/unsupported-media-type");
        unsupported["detail"]!.GetValue<string>().ShouldContain("application/json");
        unsupported.ShouldCarryNoInternals();
        (await api.EventCountAll()).ShouldBe(before, "a body refused unread appends nothing");

        // 406: an export asked for in a format it is not made in.
        var html = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/cases/{id}/chronology");
        html.Headers.Accept.ParseAdd("text/html");
        var notAcceptable = await (await api.ClientFor(Roles.SafeguardingLead).SendAsync(html)).ShouldBeProblem(HttpStatusCode.NotAcceptable);
        notAcceptable["type"]!.GetValue<string>().ShouldBe("/problems/not-acceptable");

        // 405: a method the route does not take (no operation of the document, so a client without the contract check).
        var raw = api.CreateClient();
        raw.DefaultRequestHeaders.Authorization = new("Bearer",
            Api.Infrastructure.Auth.DevTokens.Mint(ApiFactory.SigningKey, "officer-405", "Officer", [Roles.SafeguardingOfficer], TimeSpan.FromMinutes(5)));
        var patch = await raw.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/api/v1/cases") { Content = JsonContent(new { summary = "x" }) });
        var notAllowed = await patch.ShouldBeProblem(HttpStatusCode.MethodNotAllowed);
        notAllowed["type"]!.GetValue<string>().ShouldBe("/problems/method-not-allowed");
        notAllowed["detail"]!.GetValue<string>().ShouldBe("This route does not take PATCH; it takes GET, POST.");
        patch.Content.Headers.Allow.ShouldBe(["GET", "POST"], ignoreOrder: true);
        notAllowed.ShouldCarryNoInternals();
    }

    [Fact]
    public void Every_problem_type_the_api_answers_is_in_the_readmes_table_and_only_5xx_is_internal()
    {
        var readme = File.ReadAllText(Path.Combine(SafeguardingCases.Testing.Repository.Root, "README.md"));
        foreach (var status in Enumerable.Range(400, 200))
        {
            var type = Api.Infrastructure.Http.Problems.TypeFor(Api.Infrastructure.Http.Problems.SlugFor(status));
            readme.ShouldContain($"| `{type}` |", Case.Sensitive, $"{status} answers {type}, which the README's table does not list");
            (type == "/problems/internal").ShouldBe(status >= 500 && status != 503, $"{status}");
        }
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
