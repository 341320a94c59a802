using System.Net;
using System.Text;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>Bad input gets a 4xx problem-details answer, never a 500, and appends nothing.</summary>
public sealed class BadInputTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient officer = api.ClientFor(Roles.SafeguardingOfficer);

    [Theory]
    [InlineData("malformed JSON", """{"channel":"Boards",""", "serializerErrors")]
    [InlineData("not JSON at all", "channel=Boards", "serializerErrors")]
    [InlineData("wrong type", """{"channel":"Boards","sourceReference":5,"serviceUser":{"reference":"x"},"summary":"s"}""", "sourceReference")]
    [InlineData("unknown enum value", """{"channel":"Pigeon","sourceReference":"a","serviceUser":{"reference":"x"},"summary":"s"}""", "channel")]
    [InlineData("enum as a number", """{"channel":1,"sourceReference":"a","serviceUser":{"reference":"x"},"summary":"s"}""", "channel")]
    [InlineData("missing fields", "{}", "channel")]
    [InlineData("missing service user reference", """{"channel":"Chat","sourceReference":"a","serviceUser":{},"summary":"s"}""", "serviceUser.reference")]
    [InlineData("both age forms", """{"channel":"Chat","sourceReference":"a","serviceUser":{"reference":"x","ageYears":15,"ageBand":"Age13To15"},"summary":"s"}""", "serviceUser.ageYears")]
    [InlineData("impossible age", """{"channel":"Chat","sourceReference":"a","serviceUser":{"reference":"x","ageYears":-3},"summary":"s"}""", "serviceUser.ageYears")]
    [InlineData("unknown age band", """{"channel":"Chat","sourceReference":"a","serviceUser":{"reference":"x","ageBand":"Age99"},"summary":"s"}""", "serviceUser.ageBand")]
    [InlineData("null body", "null", "")]
    public async Task Bad_bodies_get_400_with_errors_per_field(string why, string json, string field)
    {
        var response = await officer.SendJson(HttpMethod.Post, "/api/v1/cases", json);

        var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ToArray();
        errors.ShouldNotBeEmpty(why);
        if (field.Length > 0) errors.ShouldContain(field, why);
    }

    [Theory]
    [InlineData("""{"channel":"Pigeon","sourceReference":"a","serviceUser":{"reference":"x"},"summary":"s"}""", "channel", "Boards, Chat, Text")]
    [InlineData("""{"channel":2,"sourceReference":"a","serviceUser":{"reference":"x"},"summary":"s"}""", "channel", "Boards, Chat, Text")]
    [InlineData("""{"channel":"Chat","sourceReference":5,"serviceUser":{"reference":"x"},"summary":"s"}""", "sourceReference", "sourceReference")]
    public async Task Validation_messages_name_the_field_and_an_enums_values_never_a_dotnet_type(string json, string field, string says)
    {
        var problem = await (await officer.SendJson(HttpMethod.Post, "/api/v1/cases", json)).ShouldBeProblem(HttpStatusCode.BadRequest);

        var error = problem["errors"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == field)!;
        error["reason"]!.GetValue<string>().ShouldContain(says);
        problem.ToJsonString().ShouldNotContain("SafeguardingCases");
        problem.ToJsonString().ShouldNotContain("System.");
    }

    [Fact]
    public async Task Bad_note_bodies_get_400_and_append_nothing()
    {
        var id = await api.OpenCase();
        await (await officer.SendJson(HttpMethod.Post, $"/api/v1/cases/{id}/notes", """{"text":""}""")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await officer.SendJson(HttpMethod.Post, $"/api/v1/cases/{id}/notes", """{"text":["a"]}""")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await officer.SendJson(HttpMethod.Post, $"/api/v1/cases/{id}/notes", new string('a', 100))).ShouldBeProblem(HttpStatusCode.BadRequest);
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_malformed_case_id_is_400_not_500_naming_the_route_value_and_what_it_takes()
    {
        var id = await api.OpenCase();
        foreach (var (response, name) in new[]
                 {
                     (await officer.GetAsync("/api/v1/cases/not-a-guid"), "id"),
                     (await officer.PostJson("/api/v1/cases/12345/notes", new { text = "x" }), "id"),
                     (await api.ClientFor(Roles.SafeguardingLead).GetAsync($"/api/v1/cases/{id}/subject-access-exports/export-1"), "exportId"),
                 })
        {
            var problem = await response.ShouldBeProblem(HttpStatusCode.BadRequest);
            problem["errors"]![0]!["name"]!.GetValue<string>().ShouldBe(name);
            // In the contract's words, as a query value's: not FastEndpoints' "Unable to read value of route parameter!".
            problem["errors"]![0]!["reason"]!.GetValue<string>().ShouldBe($"{name} is an id (a UUID).");
        }
    }

    [Fact]
    public async Task A_malformed_if_match_is_400_and_appends_nothing()
    {
        var id = await api.OpenCase();
        await (await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, ifMatch: "\"one\"")).ShouldBeProblem(HttpStatusCode.BadRequest);
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_body_over_64KB_is_413_and_appends_nothing()
    {
        var id = await api.OpenCase();
        var huge = $$"""{"text":"{{new string('a', 70_000)}}"}""";

        await (await officer.SendJson(HttpMethod.Post, $"/api/v1/cases/{id}/notes", huge)).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge);
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_streamed_body_over_64KB_without_a_length_is_413_too()
    {
        var id = await api.OpenCase();
        var bytes = Encoding.UTF8.GetBytes($$"""{"text":"{{new string('a', 70_000)}}"}""");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/cases/{id}/notes")
        {
            Content = new StreamContent(new UnseekableStream(bytes)),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        var response = await officer.SendAsync(request);

        ((int)response.StatusCode).ShouldBe(413, await response.Content.ReadAsStringAsync());
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_invalid_token_is_401()
    {
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token");
        await (await client.GetAsync($"/api/v1/cases/{Guid.NewGuid()}")).ShouldBeProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        var token = Api.Infrastructure.Auth.DevTokens.Mint("another-signing-key-of-at-least-32-bytes!!", "x", "x", [Roles.SafeguardingOfficer], TimeSpan.FromHours(1));
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await (await client.PostJson("/api/v1/cases", Scenario.OpenCaseBody())).ShouldBeProblem(HttpStatusCode.Unauthorized);
    }

    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
