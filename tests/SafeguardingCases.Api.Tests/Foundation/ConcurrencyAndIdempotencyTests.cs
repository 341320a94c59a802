using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>If-Match and Idempotency-Key: two writers never both win, and a repeated POST appends nothing.</summary>
public sealed class ConcurrencyAndIdempotencyTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient officer = api.ClientFor(Roles.SafeguardingOfficer);

    [Fact]
    public async Task A_stale_if_match_is_412_and_appends_nothing()
    {
        var id = await api.OpenCase();
        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "first" }, ifMatch: "\"1\"").ShouldBe(HttpStatusCode.Created);

        var stale = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "second" }, ifMatch: "\"1\"");

        await stale.ShouldBeProblem(HttpStatusCode.PreconditionFailed);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Two_concurrent_commands_with_the_same_if_match_exactly_one_wins()
    {
        var id = await api.OpenCase();
        var clients = new[] { api.ClientFor(Roles.SafeguardingOfficer), api.ClientFor(Roles.Clinician) };

        var responses = await Task.WhenAll(clients.Select((c, i) => c.PostJson($"/api/v1/cases/{id}/notes", new { text = $"writer {i}" }, ifMatch: "\"1\"")));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed).ShouldBe(1);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_wildcard_if_match_accepts_any_version()
    {
        var id = await api.OpenCase();
        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, ifMatch: "*").ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_same_key_and_body_returns_the_first_response_and_appends_nothing()
    {
        var id = await api.OpenCase();
        var first = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "once" }, idempotencyKey: "note-1").ShouldBe(HttpStatusCode.Created);
        var second = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "once" }, idempotencyKey: "note-1").ShouldBe(HttpStatusCode.Created);

        (await second.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        second.ETag().ShouldBe(first.ETag());
        second.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Opening_a_case_twice_with_one_key_opens_one_case()
    {
        var first = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "open-1").ShouldBe(HttpStatusCode.Created);
        var second = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "open-1").ShouldBe(HttpStatusCode.Created);

        second.Headers.Location.ShouldBe(first.Headers.Location);
        (await second.Json())["id"]!.GetValue<Guid>().ShouldBe((await first.Json())["id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_appends_nothing()
    {
        var id = await api.OpenCase();
        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "one" }, idempotencyKey: "note-2").ShouldBe(HttpStatusCode.Created);

        var reused = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "two" }, idempotencyKey: "note-2");

        await reused.ShouldBeProblem(HttpStatusCode.UnprocessableEntity);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Keys_belong_to_the_caller_so_two_users_do_not_collide()
    {
        var id = await api.OpenCase();
        await api.ClientAs("a", Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "a" }, idempotencyKey: "shared").ShouldBe(HttpStatusCode.Created);
        await api.ClientAs("b", Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "b" }, idempotencyKey: "shared").ShouldBe(HttpStatusCode.Created);
        (await api.EventsOf(id)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_run_the_command_once()
    {
        var id = await api.OpenCase();
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "same" }, idempotencyKey: "burst")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created || r.StatusCode == HttpStatusCode.Conflict);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_refused_command_is_replayed_as_refused_and_still_appends_nothing()
    {
        var id = Guid.NewGuid();
        await (await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, idempotencyKey: "missing")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, idempotencyKey: "missing")).ShouldBeProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_empty_or_overlong_key_is_400()
    {
        var id = await api.OpenCase();
        await (await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, idempotencyKey: new string('k', 201))).ShouldBeProblem(HttpStatusCode.BadRequest);
        (await api.EventsOf(id)).Count.ShouldBe(1);
    }
}
