using System.Net;
using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>One case driven over HTTP by the people who work on it.</summary>
public sealed class CaseApi
{
    private CaseApi(ApiFactory api, Guid id)
    {
        Api = api;
        Id = id;
        Officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        Clinician = api.ClientAs("clinician-1", Roles.Clinician);
        Lead1 = api.ClientAs("lead-1", Roles.SafeguardingLead);
        Lead2 = api.ClientAs("lead-2", Roles.SafeguardingLead);
        Auditor = api.ClientAs("auditor-1", Roles.Auditor);
    }

    public ApiFactory Api { get; }
    public Guid Id { get; }
    public HttpClient Officer { get; }
    public HttpClient Clinician { get; }
    public HttpClient Lead1 { get; }
    public HttpClient Lead2 { get; }
    public HttpClient Auditor { get; }
    public string Url => $"/api/v1/cases/{Id}";

    public static async Task<CaseApi> Open(ApiFactory api, int? ageYears = 16, string? ageBand = null) =>
        new(api, await api.OpenCase(ageYears, ageBand));

    public static CaseApi For(ApiFactory api, Guid id) => new(api, id);

    public static string Iso(Instant instant) => InstantPattern.ExtendedIso.Format(instant);

    public async Task<long> Version() => (await View())["version"]!.GetValue<long>();

    public async Task<JsonNode> View() => await (await Officer.GetAsync(Url).ShouldBe(HttpStatusCode.OK)).Json();

    public async Task<JsonNode> Policy() => await (await Officer.GetAsync($"{Url}/policy").ShouldBe(HttpStatusCode.OK)).Json();

    public async Task<JsonNode> PolicyFor(string personId = "service-user") =>
        (await Policy())["persons"]!.AsArray().Single(p => p!["personId"]!.GetValue<string>() == personId)!;

    public async Task<int> EventCount() => (await Api.EventsOf(Id)).Count;

    public static object Concern(string category, string status = "Current", string personId = "service-user", bool? consensual = null) =>
        new { category, status, personId, consensualPeerActivity = consensual };

    public Task<HttpResponseMessage> Disclose(Instant? disclosedAt = null, params object[] concerns) =>
        Officer.PostJson($"{Url}/disclosures", new
        {
            disclosedAt = Iso(disclosedAt ?? Api.Clock.GetCurrentInstant() - Duration.FromMinutes(30)),
            channel = "Boards",
            sourceReference = "post-77",
            summary = "What the user said",
            concerns,
        });

    public async Task<Guid> Disclosure(params object[] concerns) =>
        (await (await Disclose(null, concerns).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();

    public static object Assessment(string personId, string threat, string route, params string[] current) =>
        new { personId, threatToLife = threat, currentConcerns = current, recommendedRoute = route };

    public Task<HttpResponseMessage> Assess(params object[] assessments) =>
        Clinician.PostJson($"{Url}/risk-assessments", new { assessments, rationale = "Clinical rationale" });

    public async Task<Guid> Assessment(params object[] assessments) =>
        (await (await Assess(assessments).ShouldBe(HttpStatusCode.Created)).Json())["riskAssessmentId"]!.GetValue<Guid>();

    public async Task SafetyPlan(string outcome, HttpClient? by = null) =>
        await (by ?? Officer).PostJson($"{Url}/safety-plans", new { outcome, reason = "Tried with the user" }).ShouldBe(HttpStatusCode.Created);

    public static object EscalationBody(string route, string agency, Guid assessment, Guid[] reliesOn, string personId = "service-user",
        string[]? shared = null, Guid? overrideId = null) =>
        new { route, agency, personId, riskAssessmentId = assessment, reliesOn, informationShared = shared ?? ["Name", "AddressOrLocation"], overrideId };

    public Task<HttpResponseMessage> Escalate(object body, string? ifMatch = null) => Officer.PostJson($"{Url}/escalations", body, ifMatch);

    public async Task<Guid> Escalation(object body) =>
        (await (await Escalate(body).ShouldBe(HttpStatusCode.Created)).Json())["escalationId"]!.GetValue<Guid>();

    public Task<HttpResponseMessage> SendNotice(Guid escalation) =>
        Officer.PostJson($"{Url}/transparency-notices", new { escalationId = escalation, message = "We shared your name and location with ...", sentVia = "Chat" });

    public Task<HttpResponseMessage> Close() => Officer.PostJson($"{Url}/close", new { reason = "Work complete" });

    /// <summary>Asserts a 422 policy refusal citing the rule, and that nothing was appended.</summary>
    public async Task<JsonNode> ShouldRefuse(Func<Task<HttpResponseMessage>> call, params string[] ruleIds)
    {
        var before = await EventCount();
        var problem = await (await call()).ShouldBeProblem(HttpStatusCode.UnprocessableEntity);
        foreach (var rule in ruleIds) problem.RuleIds().ShouldContain(rule);
        (await EventCount()).ShouldBe(before, "a refused command appends nothing");
        return problem;
    }

    /// <summary>Asserts a problem answer with the status, and that nothing was appended.</summary>
    public async Task<JsonNode> ShouldFail(Func<Task<HttpResponseMessage>> call, HttpStatusCode status)
    {
        var before = await EventCount();
        var problem = await (await call()).ShouldBeProblem(status);
        (await EventCount()).ShouldBe(before, "a refused command appends nothing");
        return problem;
    }
}
