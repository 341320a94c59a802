using System.Net;
using System.Text.Json.Nodes;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>The lifecycle's own rules over HTTP: closed cases, references that must belong to the case, edges, races.</summary>
public sealed class LifecycleRulesTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_closed_case_refuses_every_command_but_reopen_with_409()
    {
        var c = await CaseApi.Open(api);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/notes", new { text = "x" }), HttpStatusCode.Conflict);
        await c.ShouldFail(() => c.Disclose(null, Concern("Physical")), HttpStatusCode.Conflict);
        await c.ShouldFail(() => c.Assess(Assessment("service-user", "None", "None")), HttpStatusCode.Conflict);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/persons", new { reference = "r", description = "d" }), HttpStatusCode.Conflict);
        await c.ShouldFail(() => c.Close(), HttpStatusCode.Conflict);

        await c.Officer.PostJson($"{c.Url}/reopen", new { reason = "New post" }).ShouldBe(HttpStatusCode.OK);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/reopen", new { reason = "again" }), HttpStatusCode.Conflict);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "x" }).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task References_to_things_not_in_this_case_are_404_and_append_nothing()
    {
        var other = await CaseApi.Open(api, ageYears: 15);
        var otherDisclosure = await other.Disclosure(Concern("Physical"));
        var otherAssessment = await other.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));

        var c = await CaseApi.Open(api, ageYears: 15);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));

        await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "Police101", otherAssessment, [d])), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [otherDisclosure])), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d], personId: "person-9")), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: Guid.NewGuid())), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Disclose(null, Concern("Physical", personId: "person-9")), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Assess(Assessment("person-9", "None", "None")), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.SendNotice(Guid.NewGuid()), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/agency-responses", new { escalationId = Guid.NewGuid(), summary = "?" }), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Lead1.PostJson($"{c.Url}/overrides/{Guid.NewGuid()}/approvals", new { justification = "j" }), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Officer.PutJson($"{c.Url}/persons/person-9", new { ageYears = 3 }), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Clinician.PostJson($"{c.Url}/required-report-delays", new { personId = "person-9", until = Iso(api.Clock.GetCurrentInstant() + Duration.FromDays(1)), reason = "r" }), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Edge_validation_gives_400_with_the_field_and_appends_nothing()
    {
        var c = await CaseApi.Open(api);
        var future = api.Clock.GetCurrentInstant() + Duration.FromHours(1);
        var problem = await c.ShouldFail(() => c.Disclose(future, Concern("Physical")), HttpStatusCode.BadRequest);
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain("disclosedAt");

        await c.ShouldFail(() => c.Disclose(null, Concern("Bruising")), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Disclose(null, Concern("Physical", status: "Ongoing")), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Assess(Assessment("service-user", "Maybe", "None")), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Escalate(new { route = "None", agency = "Police101", personId = "service-user", riskAssessmentId = Guid.NewGuid(), reliesOn = Array.Empty<Guid>(), informationShared = Array.Empty<string>() }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Escalate(new { route = "Emergency", agency = "Police999", personId = "service-user", riskAssessmentId = Guid.NewGuid(), reliesOn = Array.Empty<Guid>(), informationShared = new[] { "ShoeSize" } }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Clinician.PostJson($"{c.Url}/transparency-notices/withheld", new { escalationId = Guid.NewGuid(), reason = "TooBusy", detail = "x" }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/safety-plans", new { outcome = "Agreed" }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/notes", new { text = new string('x', 10_001) }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Lead1.PostJson($"{c.Url}/overrides", new { route = "NonEmergency", personId = "service-user" }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Officer.PutJson($"{c.Url}/persons/service-user", new { ageYears = 14, ageBand = "Age13To15" }), HttpStatusCode.BadRequest);
        (await api.ClientFor(Roles.SafeguardingLead).GetAsync("/api/v1/cases?pageSize=5000")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await api.ClientFor(Roles.SafeguardingLead).GetAsync("/api/v1/cases?obligation=Lunch")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Twenty_parallel_escalations_with_the_same_if_match_exactly_one_wins()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var version = await c.Version();
        var clients = Enumerable.Range(0, 20).Select(i => api.ClientAs($"officer-{i}", Roles.SafeguardingOfficer)).ToList();

        var responses = await Task.WhenAll(clients.Select(client =>
            client.PostJson($"{c.Url}/escalations", EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d]), ifMatch: $"\"{version}\"")));

        var statuses = string.Join(", ", await Task.WhenAll(responses.Select(async r => $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}")));
        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1, statuses);
        responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed).ShouldBe(19, statuses);
        (await api.EventsOf(c.Id)).Count(e => e.Data is EscalationMade).ShouldBe(1);
        (await c.Version()).ShouldBe(version + 1);
    }

    [Fact]
    public async Task The_case_view_shows_persons_disclosures_assessment_escalations_obligations_and_version()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));

        var response = await c.Officer.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        var view = await response.Json();
        response.ETag().ShouldBe($"\"{view["version"]!.GetValue<long>()}\"");
        view["version"]!.GetValue<long>().ShouldBe(4);
        view["persons"]![0]!["classification"]!.GetValue<string>().ShouldBe("Child");
        view["disclosures"]![0]!["id"]!.GetValue<Guid>().ShouldBe(d);
        view["disclosures"]![0]!["policyVersion"]!.GetValue<string>().ShouldBe("Unified");
        view["latestRiskAssessment"]!["id"]!.GetValue<Guid>().ShouldBe(a);
        view["escalations"]![0]!["decision"]!["classification"]!.GetValue<string>().ShouldBe("Child");
        view["outstandingObligations"]!.AsArray().Select(o => o!["type"]!.GetValue<string>()).ShouldBe(["TransparencyNoticeDue"]);
    }

    [Fact]
    public async Task The_list_filters_by_status_and_obligation_and_pages()
    {
        var open = await CaseApi.Open(api, ageYears: 20);
        var closed = await CaseApi.Open(api, ageYears: 20);
        await closed.Close().ShouldBe(HttpStatusCode.OK);
        var needsAssessment = await CaseApi.Open(api, ageYears: 20);
        await needsAssessment.Disclosure(Concern("Physical"));
        var lead = api.ClientFor(Roles.SafeguardingLead);

        var closedList = await (await lead.GetAsync("/api/v1/cases?status=Closed&pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        var closedIds = closedList["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        closedIds.ShouldContain(closed.Id);
        closedIds.ShouldNotContain(open.Id);

        var assess = await (await lead.GetAsync("/api/v1/cases?obligation=RiskAssessmentNeeded&pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        var assessIds = assess["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        assessIds.ShouldContain(needsAssessment.Id);
        assessIds.ShouldNotContain(open.Id);

        var all = await (await lead.GetAsync("/api/v1/cases?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var allIds = all["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        allIds.Count.ShouldBeGreaterThanOrEqualTo(3);
        all["next"].ShouldBeNull();
        all.AsObject().ContainsKey("total").ShouldBeFalse("no total count on the hot path");
        var page1 = await (await lead.GetAsync("/api/v1/cases?page=1&pageSize=2").ShouldBe(HttpStatusCode.OK)).Json();
        var page2 = await (await lead.GetAsync("/api/v1/cases?page=2&pageSize=2").ShouldBe(HttpStatusCode.OK)).Json();
        page1["items"]!.AsArray().Count.ShouldBe(2);
        page1["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).Intersect(page2["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>())).ShouldBeEmpty();
    }

    [Fact]
    public async Task Cursor_paging_walks_the_list_and_each_queue_once_in_order_while_cases_change()
    {
        var lead = api.ClientFor(Roles.SafeguardingLead);
        for (var i = 0; i < 5; i++)
        {
            var c = await CaseApi.Open(api, ageYears: 20);
            await c.Disclosure(Concern("Physical"));
            api.Clock.Advance(NodaTime.Duration.FromMinutes(1));
        }
        async Task<List<JsonNode>> Walk(string query, Func<Task>? meanwhile = null)
        {
            var seen = new List<JsonNode>();
            string? cursor = null;
            do
            {
                var page = await (await lead.GetAsync($"/api/v1/cases?{query}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}")).ShouldBe(HttpStatusCode.OK)).Json();
                page["items"]!.AsArray().Count.ShouldBeLessThanOrEqualTo(2);
                seen.AddRange(page["items"]!.AsArray().Select(i => i!));
                cursor = page["next"]?.GetValue<string>();
                if (meanwhile is not null) await meanwhile();
            }
            while (cursor is not null);
            return seen;
        }

        var expected = (await (await lead.GetAsync("/api/v1/cases?limit=200").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        // Cases opened while paging are newer than the cursor: they are not on later pages, and nothing repeats.
        var walked = await Walk("status=Open", () => CaseApi.Open(api, ageYears: 20));
        walked.Select(i => i["id"]!.GetValue<Guid>()).ShouldBe(expected.Where(id => walked.Any(w => w["id"]!.GetValue<Guid>() == id)));
        walked.Select(i => i["id"]!.GetValue<Guid>()).ShouldBeUnique();
        walked.Select(i => NodaTime.Text.InstantPattern.ExtendedIso.Parse(i["lastChangedAt"]!.GetValue<string>()).Value).ShouldBeInOrder(SortDirection.Descending);

        var queue = await Walk("obligation=RiskAssessmentNeeded");
        queue.Count.ShouldBeGreaterThanOrEqualTo(5);
        queue.Select(i => i["id"]!.GetValue<Guid>()).ShouldBeUnique();
        var dues = queue.Select(i => i["outstandingObligations"]!.AsArray().Where(o => o!["type"]!.GetValue<string>() == "RiskAssessmentNeeded")
            .Min(o => NodaTime.Text.InstantPattern.ExtendedIso.Parse(o!["dueBy"]!.GetValue<string>()).Value)).ToList();
        dues.ShouldBeInOrder(SortDirection.Ascending, "most urgent first");

        var badCursor = await (await lead.GetAsync("/api/v1/cases?cursor=not-a-cursor")).ShouldBeProblem(HttpStatusCode.BadRequest);
        badCursor["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain("cursor");
        await (await lead.GetAsync("/api/v1/cases?page=300&limit=50")).ShouldBeProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_list_agrees_with_the_case_after_every_command()
    {
        var c = await CaseApi.Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var e = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        await c.SendNotice(e).ShouldBe(HttpStatusCode.Created);

        var list = await (await c.Lead1.GetAsync("/api/v1/cases?pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        var row = list["items"]!.AsArray().Single(i => i!["id"]!.GetValue<Guid>() == c.Id)!;
        row["version"]!.GetValue<long>().ShouldBe(await c.Version());
        row["outstandingObligations"]!.AsArray().ShouldBeEmpty();
    }
}
