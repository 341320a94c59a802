using System.Net;
using System.Text.Json.Nodes;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// Swagger UI's "Try it out" starts from each operation's request example (openapi/v1.json), so a person trying the
/// API sends those first: worked example 1 runs from opening to closing on the examples alone (only the ids the API
/// answered put in), and no request example is refused as malformed.
/// </summary>
public sealed class OpenApiExampleRequestsTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly IReadOnlyDictionary<string, (HttpMethod Method, string Path, JsonNode Example)> Examples = OpenApiContract.Committed.RequestExamples();

    [Fact]
    public async Task Worked_example_1_runs_from_open_to_close_on_the_documents_examples()
    {
        var officer = api.ClientFor("SafeguardingOfficer");
        var clinician = api.ClientFor("Clinician");

        var opened = await (await Send(officer, "openCase", caseId: null).ShouldBe(HttpStatusCode.Created)).Json();
        var caseId = opened["id"]!.GetValue<Guid>();
        await Send(officer, "updatePerson", caseId).ShouldBe(HttpStatusCode.OK);
        var disclosure = (await (await Send(officer, "recordDisclosure", caseId).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<string>();
        var assessment = (await (await Send(clinician, "recordRiskAssessment", caseId).ShouldBe(HttpStatusCode.Created)).Json())["riskAssessmentId"]!.GetValue<string>();

        var escalated = await (await Send(officer, "escalate", caseId, body =>
        {
            body["riskAssessmentId"] = assessment;
            body["reliesOn"] = new JsonArray(disclosure);
        }).ShouldBe(HttpStatusCode.Created)).Json();
        escalated["decision"]!["classification"]!.GetValue<string>().ShouldBe("Child");
        escalated["decision"]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain("CHILD-SAFEGUARDING");
        var escalation = escalated["escalationId"]!.GetValue<string>();

        await Send(officer, "sendTransparencyNotice", caseId, body => body["escalationId"] = escalation).ShouldBe(HttpStatusCode.Created);
        await Send(officer, "recordAgencyResponse", caseId, body => body["escalationId"] = escalation).ShouldBe(HttpStatusCode.Created);
        await Send(officer, "addNote", caseId).ShouldBe(HttpStatusCode.Created);
        var closed = await (await Send(officer, "closeCase", caseId).ShouldBe(HttpStatusCode.OK)).Json();
        closed["status"]!.GetValue<string>().ShouldBe("Closed");
    }

    [Fact]
    public async Task No_request_example_is_refused_as_malformed()
    {
        // One person holding every role, so no answer is a 403 that would hide what validation makes of the body.
        var everyone = api.ClientAs("example-tryer", "SafeguardingOfficer", "Clinician", "SafeguardingLead", "Auditor");
        var caseId = (await (await Send(everyone, "openCase", caseId: null).ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>();
        Examples.Count.ShouldBeGreaterThan(20);

        var malformed = new List<string>();
        foreach (var operation in Examples.Keys.Order(StringComparer.Ordinal))
        {
            var response = await Send(everyone, operation, caseId);
            // Anything but 400: the body passed validation; a refusal (404, 409, 422) is about this case's state.
            if (response.StatusCode == HttpStatusCode.BadRequest)
                malformed.Add($"{operation}: {await response.Content.ReadAsStringAsync()}");
            response.StatusCode.ShouldNotBe(HttpStatusCode.InternalServerError, operation);
            if (operation == "registerWebhook" && response.StatusCode == HttpStatusCode.Created)
            {
                // Not left to be delivered to.
                var webhook = (await response.Json())["webhookId"]!.GetValue<string>();
                await everyone.DeleteAsync($"/api/v1/webhooks/{webhook}").ShouldBe(HttpStatusCode.OK);
            }
        }
        malformed.ShouldBeEmpty();
    }

    /// <summary>An operation's request example sent to its route: {id} the case, {personId} the service user, other ids new.</summary>
    private static Task<HttpResponseMessage> Send(HttpClient client, string operationId, Guid? caseId, Action<JsonNode>? fill = null)
    {
        var (method, template, example) = Examples[operationId];
        var body = example.DeepClone();
        fill?.Invoke(body);
        var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{(\w+)\}", m => m.Groups[1].Value switch
        {
            "id" => (caseId ?? Guid.NewGuid()).ToString(),
            "personId" => "service-user",
            _ => Guid.NewGuid().ToString(),
        });
        body.ToJsonString().ShouldNotContain(":\"text\"", Case.Sensitive, $"{operationId}'s example still says \"text\" where a value belongs");
        return client.SendJson(method, path, body.ToJsonString(), idempotencyKey: Guid.NewGuid().ToString());
    }
}
