using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Access;

/// <summary>
/// GET /staff: who has signed in to the API, so a lead allocating a case, handing cases over or naming staff in a
/// restriction picks a sign-in name that is someone's, instead of typing one nothing checks.
/// </summary>
public sealed class StaffTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private HttpClient Lead => api.ClientAs("lead-staff", Roles.SafeguardingLead);

    private static string Unique(string what) => $"{what}-{Guid.NewGuid():N}"[..(what.Length + 9)];

    private HttpClient ClientNamed(string subject, string name, params string[] roles)
    {
        var client = api.CreateDefaultClient(new ContractValidatingHandler());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            DevTokens.Mint(ApiFactory.SigningKey, subject, name, roles, TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>The directory's entry for a sign-in name, once it is there (it is written beside the request, not in it).</summary>
    private async Task<JsonNode?> EntryAsync(string subject, Func<JsonNode, bool>? until = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var page = await (await Lead.GetAsync($"/api/v1/staff?subject={Uri.EscapeDataString(subject)}").ShouldBe(HttpStatusCode.OK)).Json();
            var entry = page["items"]!.AsArray().SingleOrDefault();
            if ((entry is not null && (until is null || until(entry))) || DateTime.UtcNow > deadline) return entry;
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Whoever_calls_the_api_is_listed_with_their_name_and_roles_and_a_change_of_either_is_picked_up()
    {
        var subject = Unique("officer");
        (await (await Lead.GetAsync($"/api/v1/staff?subject={subject}").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .ShouldBeEmpty("nobody has signed in as it yet");

        await ClientNamed(subject, "Sam Officer", Roles.SafeguardingOfficer).GetAsync("/api/v1/policy/parameters").ShouldBe(HttpStatusCode.OK);
        var entry = (await EntryAsync(subject))!;
        entry["subject"]!.GetValue<string>().ShouldBe(subject);
        entry["name"]!.GetValue<string>().ShouldBe("Sam Officer");
        entry["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe([Roles.SafeguardingOfficer]);
        var seen = NodaTime.Text.InstantPattern.ExtendedIso.Parse(entry["lastSeenAt"]!.GetValue<string>()).Value;
        (api.Clock.GetCurrentInstant() - seen).ShouldBeLessThan(NodaTime.Duration.FromMinutes(1));

        // A new name and a second role, from the identity provider: the next call says so.
        await ClientNamed(subject, "Sam Lead", Roles.SafeguardingOfficer, Roles.SafeguardingLead).GetAsync("/api/v1/policy/parameters").ShouldBe(HttpStatusCode.OK);
        entry = (await EntryAsync(subject, e => e["name"]!.GetValue<string>() == "Sam Lead"))!;
        entry["name"]!.GetValue<string>().ShouldBe("Sam Lead");
        entry["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe([Roles.SafeguardingLead, Roles.SafeguardingOfficer]);

        // A refused call still says who called (a 403 is someone signed in); an anonymous one says nobody.
        var clinician = Unique("clinician");
        await ClientNamed(clinician, "Dr Ade", Roles.Clinician).GetAsync("/api/v1/webhooks").ShouldBe(HttpStatusCode.Forbidden);
        (await EntryAsync(clinician))!["roles"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldBe([Roles.Clinician]);
    }

    [Fact]
    public async Task The_list_is_in_sign_in_name_order_a_page_at_a_time_with_nobody_twice()
    {
        var prefix = Unique("page");
        foreach (var n in new[] { "c", "a", "b" })
            await api.ClientAs($"{prefix}-{n}", Roles.SafeguardingOfficer).GetAsync("/api/v1/policy/parameters").ShouldBe(HttpStatusCode.OK);
        foreach (var n in new[] { "a", "b", "c" }) (await EntryAsync($"{prefix}-{n}")).ShouldNotBeNull();

        var subjects = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await Lead.GetAsync($"/api/v1/staff?limit=2{(cursor is null ? "" : $"&cursor={cursor}")}").ShouldBe(HttpStatusCode.OK)).Json();
            var items = page["items"]!.AsArray();
            items.Count.ShouldBeLessThanOrEqualTo(2);
            subjects.AddRange(items.Select(i => i!["subject"]!.GetValue<string>()));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);

        subjects.ShouldBe(subjects.Order(StringComparer.Ordinal).ToList());
        subjects.Distinct().Count().ShouldBe(subjects.Count);
        subjects.Where(s => s.StartsWith(prefix, StringComparison.Ordinal)).ShouldBe([$"{prefix}-a", $"{prefix}-b", $"{prefix}-c"]);
        subjects.ShouldContain("lead-staff");
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=201", "limit")]
    [InlineData("cursor=not-a-cursor%21", "cursor")]
    [InlineData("subject=a%00b", "subject")]
    public async Task A_query_it_cannot_answer_is_a_400_naming_the_field(string query, string field)
    {
        var problem = await (await Lead.GetAsync($"/api/v1/staff?{query}")).ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain(k => k.Equals(field, StringComparison.OrdinalIgnoreCase), problem.ToJsonString());
        problem.ShouldCarryNoInternals();
    }
}
