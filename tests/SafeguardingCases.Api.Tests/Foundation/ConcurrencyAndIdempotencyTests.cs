using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>If-Match and Idempotency-Key: two writers never both win, and a repeated POST appends nothing.</summary>
public sealed class ConcurrencyAndIdempotencyTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient officer = api.ClientFor(Roles.SafeguardingOfficer);

    [Fact]
    public async Task Keys_of_callers_whose_subjects_contain_colons_never_meet()
    {
        // "a:b" with key "c" and "a" with key "b:c" were one record ("a:b:c") while the id was sub:key.
        var first = await api.ClientAs("colon:officer", Roles.SafeguardingOfficer)
            .PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "key").ShouldBe(HttpStatusCode.Created);
        var second = await api.ClientAs("colon", Roles.SafeguardingOfficer)
            .PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "officer:key").ShouldBe(HttpStatusCode.Created);
        second.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        (await second.Json())["id"]!.GetValue<Guid>().ShouldNotBe((await first.Json())["id"]!.GetValue<Guid>());
    }

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
    public async Task Concurrent_requests_with_one_key_run_the_command_once_and_all_get_its_answer()
    {
        var id = await api.OpenCase();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "same" }, idempotencyKey: "burst")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        bodies.Distinct().Count().ShouldBe(1, "the losers answer the winner's stored response");
        responses.Select(r => r.ETag()).Distinct().Count().ShouldBe(1);
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Concurrent_opens_with_one_key_open_one_case()
    {
        var before = await api.EventCountAll();
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "open-burst")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        responses.Select(r => r.Headers.Location).Distinct().Count().ShouldBe(1);
        (await api.EventCountAll()).ShouldBe(before + 1);
    }

    [Fact]
    public async Task Sixteen_writers_on_four_cases_without_if_match_all_land()
    {
        var cases = new List<Guid>();
        for (var i = 0; i < 4; i++) cases.Add(await api.OpenCase());
        var clients = Enumerable.Range(0, 16).Select(w => api.ClientAs($"writer-{w}", Roles.SafeguardingOfficer)).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(async w =>
        {
            var statuses = new List<HttpStatusCode>();
            for (var n = 0; n < 10; n++)
                statuses.Add((await clients[w].PostJson($"/api/v1/cases/{cases[w % 4]}/notes", new { text = $"w{w} n{n}" })).StatusCode);
            return statuses;
        }));

        responses.SelectMany(r => r).ShouldAllBe(s => s == HttpStatusCode.Created, "no writer without If-Match is refused");
        foreach (var id in cases)
        {
            (await api.EventsOf(id)).Count.ShouldBe(1 + 40);
            var integrity = await (await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/cases/{id}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
            integrity["valid"]!.GetValue<bool>().ShouldBeTrue("concurrent writers never fork the hash chain");
            var view = await (await officer.GetAsync($"/api/v1/cases/{id}").ShouldBe(HttpStatusCode.OK)).Json();
            view["version"]!.GetValue<long>().ShouldBe(41, "the stored state has every event applied");
        }
    }

    [Fact]
    public async Task Sixteen_writers_racing_on_four_cases_for_a_while_are_never_refused_and_every_note_lands_once()
    {
        var cases = new List<Guid>();
        for (var i = 0; i < 4; i++) cases.Add(await api.OpenCase());
        var landed = await RacingWriters.ShouldAllLandAsync(api, cases, [w => api.ClientAs($"racer-{w}", Roles.SafeguardingOfficer)]);
        landed.ShouldBeGreaterThan(100);
    }

    [Fact]
    public async Task A_retried_escalation_with_one_key_is_made_once()
    {
        var c = await CaseApi.Open(api);
        var disclosure = await c.Disclosure(CaseApi.Concern("Physical"));
        var assessment = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
        var body = CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", assessment, [disclosure]);

        var first = await c.Officer.PostJson($"{c.Url}/escalations", body, idempotencyKey: "refer-1").ShouldBe(HttpStatusCode.Created);
        var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => c.Officer.PostJson($"{c.Url}/escalations", body, idempotencyKey: "refer-1")));

        again.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        foreach (var r in again) (await r.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        (await c.View())["escalations"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task Concurrent_identical_escalations_with_one_key_make_one()
    {
        var c = await CaseApi.Open(api);
        var disclosure = await c.Disclosure(CaseApi.Concern("Physical"));
        var assessment = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
        var body = CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", assessment, [disclosure]);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => c.Officer.PostJson($"{c.Url}/escalations", body, idempotencyKey: "refer-burst")));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        (await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()))).Distinct().Count().ShouldBe(1);
        (await c.View())["escalations"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task An_expired_key_is_forgotten_and_its_record_replaced()
    {
        var id = await api.OpenCase();
        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "daily" }, idempotencyKey: "expiring").ShouldBe(HttpStatusCode.Created);
        api.Clock.Advance(NodaTime.Duration.FromHours(25));

        var again = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "daily" }, idempotencyKey: "expiring").ShouldBe(HttpStatusCode.Created);
        again.Headers.Contains("Idempotent-Replayed").ShouldBeFalse("past its expiry the key is forgotten");
        var replay = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "daily" }, idempotencyKey: "expiring").ShouldBe(HttpStatusCode.Created);
        replay.Headers.Contains("Idempotent-Replayed").ShouldBeTrue("the new answer is remembered in its place");
        (await replay.Content.ReadAsStringAsync()).ShouldBe(await again.Content.ReadAsStringAsync());
        (await api.EventsOf(id)).Count.ShouldBe(3);
    }

    [Fact]
    public async Task A_refusal_is_not_remembered_so_a_retry_with_the_key_runs_again()
    {
        var id = await api.OpenCase();
        await officer.PostJson($"/api/v1/cases/{id}/close", new { reason = "done" }).ShouldBe(HttpStatusCode.OK);
        await (await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "late" }, idempotencyKey: "after-close")).ShouldBeProblem(HttpStatusCode.Conflict);
        await officer.PostJson($"/api/v1/cases/{id}/reopen", new { reason = "more" }).ShouldBe(HttpStatusCode.OK);

        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "late" }, idempotencyKey: "after-close").ShouldBe(HttpStatusCode.Created);
        (await api.EventsOf(id)).Count.ShouldBe(4);
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

/// <summary>
/// A case changing under a command more often than the command is decided again (here once, <c>Commands__MaxDecisions=1</c>)
/// is the server's condition, not the case's: 503 with Retry-After, never a 409, and nothing appended for that command.
/// </summary>
public sealed class BusyCaseTests(BusyCaseTests.OneDecision api) : IClassFixture<BusyCaseTests.OneDecision>
{
    [Fact]
    public async Task Racing_writers_who_run_out_of_decisions_get_503_with_retry_after_never_409()
    {
        var id = await api.OpenCase();
        var officer = api.ClientAs("officer-busy", Roles.SafeguardingOfficer);
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => officer.PostJson($"/api/v1/cases/{id}/notes", new { text = $"race {i}" })));

        answers.Select(a => a.StatusCode).ShouldAllBe(s => s == HttpStatusCode.Created || s == HttpStatusCode.ServiceUnavailable);
        var busy = answers.Where(a => a.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        busy.ShouldNotBeEmpty("sixteen writers at once on one case, each decided once: some lose the race");
        foreach (var answer in busy)
        {
            (await answer.ShouldBeProblem(HttpStatusCode.ServiceUnavailable))["type"]!.GetValue<string>().ShouldBe("/problems/unavailable");
            answer.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);
        }
        var notes = (await api.EventsOf(id)).Count(e => e.Data is NoteAdded);
        notes.ShouldBe(answers.Count(a => a.StatusCode == HttpStatusCode.Created), "a 503 appended nothing");
    }

    public sealed class OneDecision : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Commands:MaxDecisions"] = "1" };
    }
}
