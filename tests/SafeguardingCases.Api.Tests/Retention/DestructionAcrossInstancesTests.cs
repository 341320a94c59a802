using System.Net;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Retention;

/// <summary>
/// DESTRUCTION-TWO-LEADS behind a load balancer: one instance destroys a case the other remembers (its state and its
/// key in memory). The other then shows it destroyed, and a command it decides on what it remembered is refused, never
/// a 500 and never a value sealed under a key that no longer exists.
/// </summary>
public sealed class DestructionAcrossInstancesTests
{
    private static ConfiguredApi Instance(string? database = null) =>
        new(new Dictionary<string, string?> { ["Retention:Schedule:Other"] = "P1D" }, database);

    [Fact]
    public async Task A_case_destroyed_by_one_instance_reads_destroyed_on_the_other_and_its_stale_commands_are_refused()
    {
        await using var a = Instance();
        await a.InitializeAsync();
        await using var b = Instance(a.ConnectionString);
        await b.InitializeAsync();

        // B opens, writes and closes the case, so it remembers it and holds its key.
        var c = await CaseApi.Open(b, ageYears: 30);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "Spoke to Marguerite-Ossington" }).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
        (await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync()).ShouldContain("Marguerite-Ossington");

        a.Clock.Advance(Duration.FromDays(2));
        b.Clock.Advance(Duration.FromDays(2));
        var onA = CaseApi.For(a, c.Id);
        var decisionId = (await (await onA.Lead1.PostJson($"{onA.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due" })
            .ShouldBe(HttpStatusCode.Created)).Json())["decisionId"]!.GetValue<Guid>();
        await onA.Lead2.PostJson($"{onA.Url}/retention-decisions/{decisionId}/approval", new { }).ShouldBe(HttpStatusCode.OK);

        // B still holds the key in memory: its reads see the case destroyed and forget it.
        var history = await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        history.ShouldNotContain("Marguerite-Ossington");
        history.ShouldContain("\"destroyed\":true");
        (await c.View())["dataDestroyed"].ShouldNotBeNull();

        // B decides a reopen on the case as it remembers it (closed, not destroyed) and finds no key to seal the reason with.
        b.Services.GetRequiredService<CaseKeyRing>().Forget(c.Id);
        (await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/reopen", new { reason = "New disclosure from Marguerite" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
        (await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/notes", new { text = "Another note" }), HttpStatusCode.Conflict))
            .RuleIds().ShouldBe([RuleIds.DestructionTwoLeads]);
    }

    [Fact]
    public async Task The_auditors_lists_on_the_other_instance_open_nothing_of_a_case_destroyed_there()
    {
        await using var a = Instance();
        await a.InitializeAsync();
        await using var b = Instance(a.ConnectionString);
        await b.InitializeAsync();

        // On B: a restricted case, the glass broken with a reason naming someone, listed by an auditor (B now holds its key).
        var c = await CaseApi.Open(b, ageYears: 30);
        await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = new[] { "officer-1", "lead-1", "lead-2" }, reason = "Allegation about a moderator" })
            .ShouldBe(HttpStatusCode.OK);
        await b.ClientAs("officer-9", Roles.SafeguardingOfficer).PostJson($"{c.Url}/break-glass", new { reason = "Marguerite-Ossington is in danger now" })
            .ShouldBe(HttpStatusCode.Created);
        const string List = "/api/v1/audit/break-glass?limit=200";
        (await (await c.Auditor.GetAsync(List).ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync()).ShouldContain("Marguerite-Ossington");
        await c.Close().ShouldBe(HttpStatusCode.OK);

        // Destroyed on A, well within the minute after which B would have asked again whether the key exists.
        a.Clock.Advance(Duration.FromDays(2));
        var onA = CaseApi.For(a, c.Id);
        var decisionId = (await (await onA.Lead1.PostJson($"{onA.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due" })
            .ShouldBe(HttpStatusCode.Created)).Json())["decisionId"]!.GetValue<Guid>();
        await onA.Lead2.PostJson($"{onA.Url}/retention-decisions/{decisionId}/approval", new { }).ShouldBe(HttpStatusCode.OK);

        var entry = (await (await c.Auditor.GetAsync(List).ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .Single(i => i!["caseId"]!.GetValue<Guid>() == c.Id)!;
        entry["reason"]!.ToJsonString().ShouldBe("""{"destroyed":true}""");
        entry["by"]!["subject"]!.GetValue<string>().ShouldBe("officer-9", "who broke the glass, and when, stays");
    }
}
