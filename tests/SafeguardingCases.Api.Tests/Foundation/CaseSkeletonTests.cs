using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>The first slice end to end: open a case, read it, add notes, read the history.</summary>
public sealed class CaseSkeletonTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private readonly HttpClient officer = api.ClientFor(Roles.SafeguardingOfficer);

    [Fact]
    public async Task Opening_a_case_answers_201_with_location_etag_and_id()
    {
        var response = await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created);

        var body = await response.Json();
        var id = body["id"]!.GetValue<Guid>();
        body["version"]!.GetValue<long>().ShouldBe(1);
        response.Headers.Location!.ToString().ShouldBe($"/api/v1/cases/{id}");
        response.ETag().ShouldBe("\"1\"");

        var events = await api.EventsOf(id);
        events.Count.ShouldBe(1);
        var opened = events[0].Data.ShouldBeOfType<CaseOpened>();
        opened.By.Subject.ShouldBe("test-safeguardingofficer");
        opened.By.Roles.ShouldBe([Roles.SafeguardingOfficer]);
        opened.ServiceUserAge.ShouldBe(new Age(16, null));
    }

    [Fact]
    public async Task The_case_reads_back_with_the_service_user_classified_and_an_etag()
    {
        var id = await api.OpenCase(ageYears: null, ageBand: "Age18To24");

        var response = await officer.GetAsync($"/api/v1/cases/{id}").ShouldBe(HttpStatusCode.OK);

        response.ETag().ShouldBe("\"1\"");
        var view = await response.Json();
        view["status"]!.GetValue<string>().ShouldBe("Open");
        view["channel"]!.GetValue<string>().ShouldBe("Boards");
        var person = view["persons"]![0]!;
        person["id"]!.GetValue<string>().ShouldBe("service-user");
        person["ageBand"]!.GetValue<string>().ShouldBe("Age18To24");
        person["classification"]!.GetValue<string>().ShouldBe("AdultNotAtRisk");
        person["classificationRuleId"]!.GetValue<string>().ShouldBe("ADULT-NOT-AT-RISK");
    }

    [Fact]
    public async Task Every_role_can_read_a_case_but_anonymous_cannot()
    {
        var id = await api.OpenCase();
        foreach (var role in Roles.All)
            await api.ClientFor(role).GetAsync($"/api/v1/cases/{id}").ShouldBe(HttpStatusCode.OK);
        var anonymous = await api.ClientFor().GetAsync($"/api/v1/cases/{id}");
        await anonymous.ShouldBeProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_note_appends_one_event_and_bumps_the_version()
    {
        var id = await api.OpenCase();

        var response = await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "Called the user back" }, ifMatch: "\"1\"").ShouldBe(HttpStatusCode.Created);

        response.ETag().ShouldBe("\"2\"");
        (await response.Json())["version"]!.GetValue<long>().ShouldBe(2);
        var events = await api.EventsOf(id);
        events.Count.ShouldBe(2);
        events[1].Data.ShouldBeOfType<NoteAdded>().Text.ShouldBe("Called the user back");
    }

    [Theory]
    [InlineData(Roles.SafeguardingOfficer, HttpStatusCode.Created)]
    [InlineData(Roles.Clinician, HttpStatusCode.Created)]
    [InlineData(Roles.SafeguardingLead, HttpStatusCode.Created)]
    [InlineData(Roles.Auditor, HttpStatusCode.Forbidden)]
    public async Task Notes_are_for_officers_clinicians_and_leads(string role, HttpStatusCode expected)
    {
        var id = await api.OpenCase();
        await api.ClientFor(role).PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }).ShouldBe(expected);
        (await api.EventsOf(id)).Count.ShouldBe(expected == HttpStatusCode.Created ? 2 : 1);
    }

    [Fact]
    public async Task Only_officers_open_cases()
    {
        foreach (var role in new[] { Roles.Clinician, Roles.SafeguardingLead, Roles.Auditor })
        {
            var response = await api.ClientFor(role).PostJson("/api/v1/cases", Scenario.OpenCaseBody());
            var problem = await response.ShouldBeProblem(HttpStatusCode.Forbidden);
            // Which role the route needs and which the token carries: what an integrator or operator needs to put it right.
            problem["detail"]!.GetValue<string>().ShouldBe($"This needs the role {Roles.SafeguardingOfficer}; the token's roles are {role}.");
        }
    }

    [Fact]
    public async Task The_history_lists_every_event_with_versions_1_to_n_and_the_actor()
    {
        var id = await api.OpenCase();
        await api.ClientAs("clin-7", Roles.Clinician).PostJson($"/api/v1/cases/{id}/notes", new { text = "first" }).ShouldBe(HttpStatusCode.Created);
        await api.ClientAs("lead-2", Roles.SafeguardingLead).PostJson($"/api/v1/cases/{id}/notes", new { text = "second" }).ShouldBe(HttpStatusCode.Created);

        var response = await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/cases/{id}/history").ShouldBe(HttpStatusCode.OK);

        response.ETag().ShouldBe("\"3\"");
        var events = (await response.Json())["events"]!.AsArray();
        events.Select(e => e!["version"]!.GetValue<long>()).ShouldBe([1L, 2L, 3L]);
        events.Select(e => e!["type"]!.GetValue<string>()).ShouldBe(["CaseOpened", "NoteAdded", "NoteAdded"]);
        events.Select(e => e!["actor"]!["subject"]!.GetValue<string>()).ShouldBe(["test-safeguardingofficer", "clin-7", "lead-2"]);
        events[2]!["data"]!["text"]!.GetValue<string>().ShouldBe("second");
        events.Select(e => e!["sequence"]!.GetValue<long>()).ShouldBeInOrder();
        events.All(e => e!["recordedAt"]!.GetValue<string>().EndsWith('Z')).ShouldBeTrue();
    }

    [Fact]
    public async Task The_history_is_for_the_staff_roles_only()
    {
        var id = await api.OpenCase();
        foreach (var role in Roles.All)
            await api.ClientFor(role).GetAsync($"/api/v1/cases/{id}/history").ShouldBe(HttpStatusCode.OK);
        var problem = await (await api.ClientAs("volunteer-1", "Volunteer").GetAsync($"/api/v1/cases/{id}/history")).ShouldBeProblem(HttpStatusCode.Forbidden);
        problem["detail"]!.GetValue<string>().ShouldBe(
            $"This needs one of the roles {string.Join(", ", Roles.All)}; the token carries none of this service's roles (read from its 'role' claim).");
    }

    [Fact]
    public async Task Unknown_cases_are_404_for_reads_commands_and_history()
    {
        var unknown = Guid.NewGuid();
        await (await officer.GetAsync($"/api/v1/cases/{unknown}")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await officer.PostJson($"/api/v1/cases/{unknown}/notes", new { text = "x" })).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await officer.PostJson($"/api/v1/cases/{unknown}/notes", new { text = "x" }, ifMatch: "\"3\"")).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/cases/{unknown}/history")).ShouldBeProblem(HttpStatusCode.NotFound);
        (await api.EventsOf(unknown)).ShouldBeEmpty();
    }
}
