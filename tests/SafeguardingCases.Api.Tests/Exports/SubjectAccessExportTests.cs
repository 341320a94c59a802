using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NodaTime;
using SafeguardingCases.Api.Features.Exports;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Exports;

/// <summary>
/// Subject access (DESIGN.md, Exports): a draft with other people's data and staff names redacted and possible
/// exemptions flagged; a lead decides every flag and releases it; only then can it be downloaded, verifiably.
/// </summary>
public sealed class SubjectAccessExportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string ThirdParty = "Uncle Barnaby Quill";
    private const string Worker = "Priya Caseworker";

    private async Task<CaseApi> CaseForSubjectAccess()
    {
        var (c, _) = await ChronologyExportTests.CaseWithHistory(api, 8);
        await c.Lead1.PutJson($"{c.Url}/allocation", new { subject = "officer-1", name = Worker, email = "priya@example.org" }).ShouldBe(HttpStatusCode.OK);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = $"{Worker} called {ThirdParty.ToUpperInvariant()} back." }).ShouldBe(HttpStatusCode.Created);
        await c.Disclose(null, CaseApi.Concern("SelfHarm")).ShouldBe(HttpStatusCode.Created);
        return c;
    }

    private static async Task<HttpResponseMessage> Document(HttpClient client, string url, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_draft_redacts_other_people_and_staff_flags_exemptions_and_is_released_only_when_every_flag_is_decided()
    {
        var c = await CaseForSubjectAccess();
        var created = await (await c.Officer.PostJson($"{c.Url}/subject-access-exports", new { }).ShouldBe(HttpStatusCode.Created)).Json();
        var exportId = created["exportId"]!.GetValue<Guid>();
        created["flags"]!.GetValue<int>().ShouldBe(2);
        var url = $"{c.Url}/subject-access-exports/{exportId}";

        var draft = await (await c.Officer.GetAsync(url).ShouldBe(HttpStatusCode.OK)).Json();
        draft["status"]!.GetValue<string>().ShouldBe("Draft");
        var flags = draft["flags"]!.AsArray();
        flags.Select(f => (f!["version"]!.GetValue<long>(), f["reason"]!.GetValue<string>())).ShouldBe([(3L, "ChildAbuse"), (11L, "SeriousHarm")]);
        flags.ShouldAllBe(f => f!["decision"] == null);
        var text = draft["entries"]!.ToJsonString();
        text.ShouldNotContain("Barnaby");
        text.ShouldNotContain("BARNABY");
        text.ShouldNotContain("Priya");
        text.ShouldNotContain("Test ");
        text.ShouldContain("[redacted: another person]");
        var redactions = draft["redactions"]!.AsArray();
        redactions.ShouldContain(r => r!["ground"]!.GetValue<string>() == "ThirdPartyData" && r["version"]!.GetValue<long>() == 2);
        redactions.ShouldContain(r => r!["ground"]!.GetValue<string>() == "StaffName" && r["field"]!.GetValue<string>() == "what");

        // Not downloadable, nor releasable, before every flag is decided; refusals append nothing.
        (await c.ShouldFail(() => Document(c.Officer, $"{url}/document"), HttpStatusCode.Conflict))["detail"]!.GetValue<string>().ShouldContain("draft");
        // ACCESS-LOG: the refused download is logged with its answer.
        var log = await (await c.Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        log["items"]!.AsArray().ShouldContain(a => a!["route"]!.GetValue<string>().EndsWith("/document", StringComparison.Ordinal)
                                                   && a["status"]!.GetValue<int>() == 409 && a["how"]!.GetValue<string>() == "Refused");
        (await c.ShouldFail(() => c.Lead1.PostJson($"{url}/release", new { }), HttpStatusCode.Conflict))["detail"]!.GetValue<string>()
            .ShouldContain("2 flagged entries await a decision");
        var childAbuse = flags[0]!["flagId"]!.GetValue<Guid>();
        var seriousHarm = flags[1]!["flagId"]!.GetValue<Guid>();
        await c.ShouldFail(() => c.Officer.PostJson($"{url}/decisions", new { flagId = childAbuse, decision = "Release" }), HttpStatusCode.Forbidden);
        await c.ShouldFail(() => c.Lead1.PostJson($"{url}/decisions", new { flagId = childAbuse, decision = "Withhold" }), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => c.Lead1.PostJson($"{url}/decisions", new { flagId = Guid.NewGuid(), decision = "Release" }), HttpStatusCode.NotFound);
        await c.ShouldFail(() => c.Lead1.PostJson($"{c.Url}/subject-access-exports/{Guid.NewGuid()}/decisions", new { flagId = childAbuse, decision = "Release" }),
            HttpStatusCode.NotFound);

        await c.Lead1.PostJson($"{url}/decisions", new { flagId = childAbuse, decision = "Release" }).ShouldBe(HttpStatusCode.Created);
        await c.ShouldFail(() => c.Lead1.PostJson($"{url}/release", new { }), HttpStatusCode.Conflict);
        await c.Lead1.PostJson($"{url}/decisions", new { flagId = seriousHarm, decision = "Withhold", ground = "Serious harm: disclosure would be likely to cause serious harm" })
            .ShouldBe(HttpStatusCode.Created);
        var decided = await (await c.Lead1.GetAsync(url).ShouldBe(HttpStatusCode.OK)).Json();
        decided["flags"]!.AsArray().Select(f => f!["decision"]!.GetValue<string>()).ShouldBe(["Release", "Withhold"]);
        decided["entries"]!.AsArray().ShouldNotContain(e => e!["version"]!.GetValue<long>() == 11, "a withheld entry is left out");
        decided["redactions"]!.AsArray().ShouldContain(r => r!["version"]!.GetValue<long>() == 11 && r["field"]!.GetValue<string>() == "entry"
                                                            && r["ground"]!.GetValue<string>().StartsWith("Serious harm", StringComparison.Ordinal));

        var released = await (await c.Lead2.PostJson($"{url}/release", new { }).ShouldBe(HttpStatusCode.OK)).Json();
        released["status"]!.GetValue<string>().ShouldBe("Released");
        (await (await c.Officer.GetAsync(url).ShouldBe(HttpStatusCode.OK)).Json())["status"]!.GetValue<string>().ShouldBe("Released");
        await c.ShouldFail(() => c.Lead1.PostJson($"{url}/decisions", new { flagId = childAbuse, decision = "Withhold", ground = "late" }), HttpStatusCode.Conflict);
        await c.ShouldFail(() => c.Lead1.PostJson($"{url}/release", new { }), HttpStatusCode.Conflict);

        // Downloaded: JSON with its redactions and proofs; nobody else's name and no staff name anywhere in it.
        var before = await c.EventCount();
        var document = await (await Document(c.Officer, $"{url}/document").ShouldBe(HttpStatusCode.OK)).Json();
        (await c.EventCount()).ShouldBe(before + 1, "the download is recorded");
        document["audience"]!.GetValue<string>().ShouldBe("Subject");
        var all = document.ToJsonString();
        foreach (var name in new[] { "Barnaby", "BARNABY", "Priya", "Test ", "officer-1", "lead-1" }) all.ShouldNotContain(name);
        document["entries"]!.AsArray().Select(e => e!["version"]!.GetValue<long>()).ShouldNotContain(11L);
        document["entries"]!.AsArray().Select(e => e!["version"]!.GetValue<long>()).ShouldContain(3L, "the released flag's entry is included");
        document["redactions"]!.AsArray().ShouldContain(r => r!["version"]!.GetValue<long>() == 11);
        using var key = ECDsa.Create();
        key.ImportFromPem(await ChronologyExportTests.PublicKeyPem(c.Auditor));
        ExportProof.Verify(document.ToJsonString(), key).Valid.ShouldBeTrue();

        var pdf = await Document(c.Lead1, $"{url}/document", "application/pdf").ShouldBe(HttpStatusCode.OK);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, await pdf.Content.ReadAsByteArrayAsync());
            var (code, pdfText) = await ChronologyExportTests.Run("pdftotext", file, "-");
            code.ShouldBe(0, pdfText);
            pdfText.ShouldContain("Your safeguarding record");
            pdfText.ShouldContain("Redactions, by ground");
            pdfText.ShouldNotContain("Barnaby");
            pdfText.ShouldNotContain("Priya");
        }
        finally
        {
            File.Delete(file);
        }
        await c.ShouldFail(() => Document(c.Officer, $"{url}/document", "text/csv"), (HttpStatusCode)406);

        var listed = await (await c.Auditor.GetAsync("/api/v1/audit/exports?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        listed["items"]!.AsArray().Count(i => i!["caseId"]!.GetValue<Guid>() == c.Id && i["audience"]!.GetValue<string>() == "Subject").ShouldBe(2);
    }

    [Fact]
    public async Task Drafting_is_for_officers_and_leads_an_unknown_export_is_404_and_a_case_without_flags_releases_at_once()
    {
        var c = await CaseApi.Open(api, ageYears: 30);
        await c.ShouldFail(() => c.Clinician.PostJson($"{c.Url}/subject-access-exports", new { }), HttpStatusCode.Forbidden);
        await c.ShouldFail(() => c.Auditor.PostJson($"{c.Url}/subject-access-exports", new { }), HttpStatusCode.Forbidden);
        await (await c.Officer.PostJson($"/api/v1/cases/{Guid.NewGuid()}/subject-access-exports", new { })).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await c.Officer.GetAsync($"{c.Url}/subject-access-exports/{Guid.NewGuid()}")).ShouldBeProblem(HttpStatusCode.NotFound);
        await c.ShouldFail(() => Document(c.Officer, $"{c.Url}/subject-access-exports/{Guid.NewGuid()}/document"), HttpStatusCode.NotFound);

        var created = await (await c.Lead1.PostJson($"{c.Url}/subject-access-exports", new { }).ShouldBe(HttpStatusCode.Created)).Json();
        created["flags"]!.GetValue<int>().ShouldBe(0);
        var url = $"{c.Url}/subject-access-exports/{created["exportId"]!.GetValue<Guid>()}";
        await c.Lead1.PostJson($"{url}/release", new { }).ShouldBe(HttpStatusCode.OK);
        var document = await (await Document(c.Officer, $"{url}/document").ShouldBe(HttpStatusCode.OK)).Json();
        document["entries"]!.AsArray().Count.ShouldBe(1, "the case as it stood when drafted: its opening");
    }

    /// <summary>A destroyed case exports its skeleton: "[destroyed]" where personal data was, and its proofs still verify.</summary>
    public sealed class Destroyed(Retention.RetentionTests.ShortSchedule api) : IClassFixture<Retention.RetentionTests.ShortSchedule>
    {
        [Fact]
        public async Task DESTRUCTION_TWO_LEADS_a_destroyed_case_exports_its_skeleton_and_its_proofs_verify()
        {
            var c = await CaseApi.Open(api, ageYears: 30);
            await c.Officer.PostJson($"{c.Url}/notes", new { text = "Distinctive note: Marigold Fennimore" }).ShouldBe(HttpStatusCode.Created);
            var before = await (await c.Officer.GetAsync($"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK)).Json();
            before["entries"]!.ToJsonString().ShouldContain("Marigold Fennimore");
            await c.Close().ShouldBe(HttpStatusCode.OK);
            api.Clock.Advance(Duration.FromDays(2));
            var asked = await (await c.Lead1.PostJson($"{c.Url}/retention-decisions", new { decision = "Destroy", reason = "Review due" })
                .ShouldBe(HttpStatusCode.Created)).Json();
            await c.Lead2.PostJson($"{c.Url}/retention-decisions/{asked["decisionId"]!.GetValue<Guid>()}/approval", new { }).ShouldBe(HttpStatusCode.OK);
            await c.ShouldFail(() => c.Officer.PostJson($"{c.Url}/subject-access-exports", new { }), HttpStatusCode.Conflict);

            var export = await (await c.Lead1.GetAsync($"{c.Url}/chronology?audience=Court&recipient=Coroner&purpose=Inquest").ShouldBe(HttpStatusCode.OK)).Json();
            var text = export["entries"]!.ToJsonString();
            text.ShouldNotContain("Marigold");
            text.ShouldContain("Note: [destroyed]");
            text.ShouldContain("Personal data destroyed");
            export["entries"]!.AsArray()[^1]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.DestructionTwoLeads);
            // The hashes are the events' as stored: the same before and after destruction.
            export["entries"]![1]!["hash"]!.GetValue<string>().ShouldBe(before["entries"]![1]!["hash"]!.GetValue<string>());
            using var key = ECDsa.Create();
            key.ImportFromPem(await ChronologyExportTests.PublicKeyPem(c.Auditor));
            ExportProof.Verify(export.ToJsonString(), key).Valid.ShouldBeTrue();

            // The record of it: who, when, audience; recipient and purpose could only be stored under the destroyed key.
            var recorded = (await api.EventsOf(c.Id))[^1].Data.ShouldBeOfType<ChronologyExported>();
            recorded.Audience.ShouldBe(ExportAudience.Court);
            PersonalAttribute.IsDestroyed(recorded.Recipient).ShouldBeTrue();
            var listed = await (await c.Auditor.GetAsync("/api/v1/audit/exports?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
            var item = listed["items"]!.AsArray().Single(i => i!["exportId"]!.GetValue<Guid>() == export["exportId"]!.GetValue<Guid>())!;
            item["recipient"]!.ToJsonString().ShouldBe("""{"destroyed":true}""");
            JsonNode.Parse(item.ToJsonString())!["by"]!["subject"]!.GetValue<string>().ShouldBe("lead-1");
        }
    }
}
