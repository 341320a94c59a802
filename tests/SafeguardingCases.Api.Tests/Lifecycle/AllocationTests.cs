using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>PUT and DELETE /cases/{id}/allocation: who receives a case's alerts.</summary>
public sealed class AllocationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static object Worker(string subject) => new { subject, name = $"Worker {subject}", email = $"{subject}@example.org" };

    [Fact]
    public async Task An_officer_allocates_the_case_to_themselves_and_it_shows_on_the_case_and_in_the_list()
    {
        var c = await CaseApi.Open(api);
        var allocated = await (await c.Officer.PutJson($"{c.Url}/allocation", Worker("officer-1")).ShouldBe(HttpStatusCode.OK)).Json();
        allocated["subject"]!.GetValue<string>().ShouldBe("officer-1");
        allocated["email"]!.GetValue<string>().ShouldBe("officer-1@example.org");
        allocated["version"]!.GetValue<long>().ShouldBe(2);

        var view = await c.View();
        view["allocation"]!["name"]!.GetValue<string>().ShouldBe("Worker officer-1");
        view["allocation"]!["by"]!["subject"]!.GetValue<string>().ShouldBe("officer-1");

        var other = await CaseApi.Open(api);
        var mine = await (await c.Officer.GetAsync("/api/v1/cases?allocatedTo=officer-1&limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var ids = mine["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        ids.ShouldContain(c.Id);
        ids.ShouldNotContain(other.Id);
        mine["items"]!.AsArray().ShouldAllBe(i => i!["allocatedTo"]!.GetValue<string>() == "officer-1");
        (await api.EventsOf(c.Id))[^1].Data.ShouldBeOfType<CaseAllocated>();
    }

    [Fact]
    public async Task A_lead_allocates_anyone_and_an_officer_only_themselves()
    {
        var c = await CaseApi.Open(api);
        var problem = await c.ShouldFail(() => c.Officer.PutJson($"{c.Url}/allocation", Worker("officer-2")), HttpStatusCode.Forbidden);
        problem["detail"]!.GetValue<string>().ShouldContain("themselves");
        await c.ShouldFail(() => c.Clinician.PutJson($"{c.Url}/allocation", Worker("clinician-1")), HttpStatusCode.Forbidden);

        await c.Lead1.PutJson($"{c.Url}/allocation", Worker("officer-2")).ShouldBe(HttpStatusCode.OK);
        (await c.View())["allocation"]!["subject"]!.GetValue<string>().ShouldBe("officer-2");
        await c.ShouldFail(() => c.Lead1.PutJson($"{c.Url}/allocation", Worker("officer-2")), HttpStatusCode.Conflict);

        // Only the allocated worker, or a lead, unallocates.
        await c.ShouldFail(() => c.Officer.SendJson(HttpMethod.Delete, $"{c.Url}/allocation", ""), HttpStatusCode.Forbidden);
        var officer2 = api.ClientAs("officer-2", Roles.SafeguardingOfficer);
        await officer2.SendJson(HttpMethod.Delete, $"{c.Url}/allocation", "").ShouldBe(HttpStatusCode.OK);
        (await c.View())["allocation"].ShouldBeNull();
        await c.ShouldFail(() => c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/allocation", ""), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_closed_case_or_a_restriction_that_does_not_name_the_worker_refuses_and_appends_nothing()
    {
        var closed = await CaseApi.Open(api);
        await closed.Close().ShouldBe(HttpStatusCode.OK);
        await closed.ShouldFail(() => closed.Officer.PutJson($"{closed.Url}/allocation", Worker("officer-1")), HttpStatusCode.Conflict);

        var restricted = await CaseApi.Open(api);
        await restricted.Lead1.PutJson($"{restricted.Url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        var problem = await restricted.ShouldFail(() => restricted.Lead1.PutJson($"{restricted.Url}/allocation", Worker("officer-2")), HttpStatusCode.Conflict);
        problem.RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        await restricted.Lead1.PutJson($"{restricted.Url}/allocation", Worker("officer-1")).ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"subject":"","name":"n","email":"a@example.org"}""", "subject")]
    [InlineData("""{"subject":"s","name":"n","email":"not an address"}""", "email")]
    [InlineData("""{"subject":"s","name":"n","email":"A <a@example.org>"}""", "email")]
    [InlineData("""{"subject":"s","email":"a@example.org"}""", "name")]
    public async Task Bad_allocations_get_400_and_append_nothing(string json, string field)
    {
        var c = await CaseApi.Open(api);
        var problem = await c.ShouldFail(() => c.Lead1.SendJson(HttpMethod.Put, $"{c.Url}/allocation", json), HttpStatusCode.BadRequest);
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain(field);
    }
}
