using System.Net;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Retention;

/// <summary>RETENTION-SCHEDULE and LEGAL-HOLD over HTTP, with a short schedule (other records reviewed a day after closure).</summary>
public sealed class RetentionTests(RetentionTests.ShortSchedule api) : IClassFixture<RetentionTests.ShortSchedule>
{
    private HttpClient Auditor => api.ClientAs("auditor-1", Roles.Auditor);

    private async Task<List<Guid>> DueAsync(HttpClient client) =>
        [.. (await (await client.GetAsync($"/api/v1/retention/reviews?limit=200&dueBefore={CaseApi.Iso(api.Clock.GetCurrentInstant())}")
            .ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>())];

    [Fact]
    public async Task RETENTION_SCHEDULE_a_closed_case_comes_up_for_review_when_its_schedule_says_and_a_keep_decision_moves_it()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        var view = await c.View();
        view["retention"]!["schedule"]!.GetValue<string>().ShouldBe("Other");
        (await DueAsync(c.Lead1)).ShouldNotContain(c.Id, "not due for a day");

        api.Clock.Advance(Duration.FromDays(2));
        (await DueAsync(c.Lead1)).ShouldContain(c.Id);
        (await DueAsync(Auditor)).ShouldContain(c.Id);

        var kept = await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new
        {
            decision = "Keep", keepUntil = CaseApi.Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(30)), reason = "A complaint about the case is still open",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        kept["decisionId"]!.GetValue<Guid>().ShouldNotBe(Guid.Empty);
        (await DueAsync(c.Lead1)).ShouldNotContain(c.Id, "kept until a later review");
        (await c.View())["retention"]!["schedule"]!.GetValue<string>().ShouldBe("KeptUntil");
        (await api.EventsOf(c.Id))[^1].Data.ShouldBeOfType<RetentionKept>();
    }

    [Fact]
    public async Task RETENTION_SCHEDULE_an_open_case_or_a_review_not_yet_due_is_refused_and_appends_nothing()
    {
        var open = await CaseApi.Open(api, ageYears: 30);
        var body = new { decision = "Keep", keepUntil = CaseApi.Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(30)), reason = "r" };
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", body), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule]);
        await open.Close().ShouldBe(HttpStatusCode.OK);
        (await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", body), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.RetentionSchedule]);
        (await open.Officer.PostJson($"{open.Url}/retention-decisions", body)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Keep", reason = "r" }), HttpStatusCode.BadRequest);
        await open.ShouldFail(() => open.Lead1.PostJson($"{open.Url}/retention-decisions", new { decision = "Destroy", reason = "r" }), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task LEGAL_HOLD_a_lead_places_and_releases_a_hold_which_the_case_and_the_review_list_show()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        var held = await (await c.Lead1.PutJson($"{c.Url}/legal-hold", new { reason = "Police investigation" }).ShouldBe(HttpStatusCode.OK)).Json();
        held["reason"]!.GetValue<string>().ShouldBe("Police investigation");
        (await c.View())["legalHold"]!["reason"]!.GetValue<string>().ShouldBe("Police investigation");
        (await c.ShouldFail(() => c.Lead2.PutJson($"{c.Url}/legal-hold", new { reason = "again" }), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.LegalHold]);
        (await c.Officer.PutJson($"{c.Url}/legal-hold", new { reason = "x" })).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        await c.Close().ShouldBe(HttpStatusCode.OK);
        api.Clock.Advance(Duration.FromDays(2));
        var reviews = await (await c.Lead1.GetAsync($"/api/v1/retention/reviews?limit=200&dueBefore={CaseApi.Iso(api.Clock.GetCurrentInstant())}")).Json();
        reviews["items"]!.AsArray().Single(i => i!["id"]!.GetValue<Guid>() == c.Id)!["legalHold"]!.GetValue<bool>().ShouldBeTrue();

        await c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/legal-hold", "").ShouldBe(HttpStatusCode.OK);
        (await c.View())["legalHold"].ShouldBeNull();
        (await c.ShouldFail(() => c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/legal-hold", ""), HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.LegalHold]);
    }

    public sealed class ShortSchedule : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Retention:Schedule:Other"] = "P1D",
            ["Retention:Schedule:AdultAtRisk"] = "P1D",
            ["Retention:Schedule:ChildSafeguarding"] = "P2D",
            ["Retention:Schedule:SexualAbuse"] = "P3D",
        };
    }
}
