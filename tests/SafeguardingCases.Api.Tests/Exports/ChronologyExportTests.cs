using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SafeguardingCases.Api.Features.Exports;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Exports;

/// <summary>
/// GET /cases/{id}/chronology (DESIGN.md, Exports): JSON, CSV and PDF by Accept; each export verifies offline with the
/// public key alone, with verify-export and with an independent implementation (deploy/verify-export.py: Python and
/// openssl); every export is recorded in the ledger and the access log, and auditors list it.
/// </summary>
public sealed class ChronologyExportTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private HttpClient Auditor => api.ClientAs("auditor-1", Roles.Auditor);

    private static readonly string Root = FindRoot();

    /// <summary>A case with a third party, an escalation to children's social care, its notice, and notes up to <paramref name="events"/> events.</summary>
    internal static async Task<(CaseApi Case, Guid Escalation)> CaseWithHistory(ApiFactory api, int events = 12)
    {
        var c = await CaseApi.Open(api);
        await c.Officer.PostJson($"{c.Url}/persons", new { reference = "Uncle Barnaby Quill", description = "the user's uncle", ageYears = 44 })
            .ShouldBe(HttpStatusCode.Created);
        var disclosure = await c.Disclosure(CaseApi.Concern("Physical"));
        var assessment = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
        var escalation = await c.Escalation(CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", assessment, [disclosure],
            shared: ["Name", "DisclosureSummary"]));
        await c.SendNotice(escalation).ShouldBe(HttpStatusCode.Created);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "Spoke to Uncle Barnaby Quill's neighbour; \"line\" two\nand a comma, too" })
            .ShouldBe(HttpStatusCode.Created);
        for (var n = await c.EventCount(); n < events; n++)
            await c.Officer.PostJson($"{c.Url}/notes", new { text = $"Follow-up call number {n}" }).ShouldBe(HttpStatusCode.Created);
        return (c, escalation);
    }

    internal static async Task<string> PublicKeyPem(HttpClient auditor) =>
        (await (await auditor.GetAsync("/api/v1/audit/checkpoints/public-key").ShouldBe(HttpStatusCode.OK)).Json())["publicKeyPem"]!.GetValue<string>();

    private static async Task<HttpResponseMessage> Export(HttpClient client, string url, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await client.SendAsync(request);
    }

    [Fact]
    public async Task A_200_event_chronology_verifies_offline_with_verify_export_and_an_independent_implementation_and_one_altered_entry_fails_both_there()
    {
        var (c, _) = await CaseWithHistory(api, 200);
        var export = await (await Export(c.Officer, $"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK)).Json();
        var entries = export["entries"]!.AsArray();
        entries.Count.ShouldBe(200);
        entries.Select(e => e!["version"]!.GetValue<long>()).ShouldBe(Enumerable.Range(1, 200).Select(v => (long)v));
        entries[0]!["what"]!.GetValue<string>().ShouldStartWith("Case opened from the boards channel");
        entries[0]!["by"]!.GetValue<string>().ShouldStartWith("Safeguarding officer (Test ");
        entries[4]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.ChildSafeguarding);
        entries.ShouldAllBe(e => e!["hash"]!.GetValue<string>().Length == 64);
        var stored = await api.EventsOf(c.Id);
        entries[17]!["hash"]!.GetValue<string>().ShouldBe(stored[17].GetHeader("hash")!.ToString());
        export["checkpoint"]!["treeSize"]!.GetValue<long>().ShouldBe(200);

        var directory = Directory.CreateTempSubdirectory("export-");
        try
        {
            var key = Path.Combine(directory.FullName, "key.pem");
            await File.WriteAllTextAsync(key, await PublicKeyPem(Auditor));
            var file = Path.Combine(directory.FullName, "export.json");
            await File.WriteAllTextAsync(file, export.ToJsonString());

            var (code, output) = await VerifyExport(file, key);
            code.ShouldBe(0, output);
            output.ShouldContain("VALID: 200 entries");
            var (pyCode, pyOutput) = await Run("python3", Path.Combine(Root, "deploy", "verify-export.py"), file, key);
            pyCode.ShouldBe(0, pyOutput);
            pyOutput.ShouldContain("VALID: 200 entries");

            // One entry altered (one word of what happened): both checks fail, at that entry and no other.
            var altered = JsonNode.Parse(export.ToJsonString())!;
            altered["entries"]![41]!["what"] = "Follow-up call number 41 (nothing of concern)";
            await File.WriteAllTextAsync(file, altered.ToJsonString());
            (code, output) = await VerifyExport(file, key);
            code.ShouldBe(1, output);
            output.ShouldContain("Entry 41 (case version 42) fails");
            (pyCode, pyOutput) = await Run("python3", Path.Combine(Root, "deploy", "verify-export.py"), file, key);
            pyCode.ShouldBe(1, pyOutput);
            pyOutput.ShouldContain("entry 41 (case version 42) fails");

            // An entry removed: the signed tree size says so.
            altered = JsonNode.Parse(export.ToJsonString())!;
            altered["entries"]!.AsArray().RemoveAt(199);
            await File.WriteAllTextAsync(file, altered.ToJsonString());
            (code, output) = await VerifyExport(file, key);
            code.ShouldBe(1, output);
            output.ShouldContain("entries were added or removed");

            // Another key: the signature fails.
            await File.WriteAllTextAsync(file, export.ToJsonString());
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await File.WriteAllTextAsync(key, other.ExportSubjectPublicKeyInfoPem());
            (code, output) = await VerifyExport(file, key);
            code.ShouldBe(1, output);
            output.ShouldContain("signature does not verify");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Every_entry_proof_checks_with_the_tests_own_RFC_9162_verifier_and_the_checkpoint_signature_with_the_public_key()
    {
        var (c, _) = await CaseWithHistory(api, 9);
        var export = await (await Export(c.Lead1, $"{c.Url}/chronology?audience=Court&recipient=Family%20Court&purpose=Care%20proceedings")
            .ShouldBe(HttpStatusCode.OK)).Json();
        export["audience"]!.GetValue<string>().ShouldBe("Court");
        export["recipient"]!.GetValue<string>().ShouldBe("Family Court");
        var checkpoint = export["checkpoint"]!;
        using var key = ECDsa.Create();
        key.ImportFromPem(await PublicKeyPem(Auditor));
        key.VerifyData(System.Text.Encoding.UTF8.GetBytes(checkpoint["note"]!.GetValue<string>()), Convert.FromBase64String(checkpoint["signature"]!.GetValue<string>()),
            HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence).ShouldBeTrue();
        checkpoint["note"]!.GetValue<string>().ShouldStartWith($"safeguarding-cases/export/{export["exportId"]!.GetValue<Guid>()}\n9\n");
        var root = Convert.FromBase64String(checkpoint["rootHash"]!.GetValue<string>());
        foreach (var entry in export["entries"]!.AsArray())
        {
            // The leaf as a recipient would build it: the entry's seven fields, keys sorted, no white space.
            var leaf = new JsonObject
            {
                ["at"] = entry!["at"]!.GetValue<string>(), ["by"] = entry["by"]!.GetValue<string>(), ["caseId"] = c.Id.ToString(),
                ["hash"] = entry["hash"]!.GetValue<string>(), ["ruleIds"] = JsonNode.Parse(entry["ruleIds"]!.ToJsonString()),
                ["version"] = entry["version"]!.GetValue<long>(), ["what"] = entry["what"]!.GetValue<string>(),
            };
            var bytes = System.Text.Encoding.UTF8.GetBytes(leaf.ToJsonString(new System.Text.Json.JsonSerializerOptions
                { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            Ledger.MerkleTreeTests.VerifyInclusion(entry["leafIndex"]!.GetValue<long>(), 9, SHA256.HashData([0, .. bytes]),
                [.. entry["inclusionProof"]!.AsArray().Select(p => Convert.FromBase64String(p!.GetValue<string>()))], root).ShouldBeTrue();
        }
        // Court: names of staff are shown.
        export["entries"]![2]!["by"]!.GetValue<string>().ShouldContain("(Test ");
    }

    [Fact]
    public async Task The_CSV_has_one_row_per_entry_for_any_CSV_reader_and_the_PDF_text_holds_every_entry_and_the_checkpoint()
    {
        var (c, _) = await CaseWithHistory(api, 60);
        var csvResponse = await Export(c.Officer, $"{c.Url}/chronology", "text/csv").ShouldBe(HttpStatusCode.OK);
        csvResponse.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var directory = Directory.CreateTempSubdirectory("export-");
        try
        {
            var csv = Path.Combine(directory.FullName, "export.csv");
            await File.WriteAllBytesAsync(csv, await csvResponse.Content.ReadAsByteArrayAsync());
            // Python's csv module as the independent reader: a header and one row per entry, the note's quotes and new line intact.
            var (code, rows) = await Run("python3", "-c",
                "import csv,sys\nr=list(csv.DictReader(open(sys.argv[1],encoding='utf-8',newline='')))\n" +
                "print(len(r)); print(r[6]['what']); print(r[0]['checkpoint_note'].split(chr(10))[1]); print(r[59]['version'])", csv);
            code.ShouldBe(0, rows);
            var lines = rows.Split('\n');
            lines[0].ShouldBe("60");
            lines[1].ShouldBe("Note: Spoke to Uncle Barnaby Quill's neighbour; \"line\" two");
            lines[2].ShouldBe("and a comma, too");
            lines[3].ShouldBe("60");
            lines[4].ShouldBe("60");

            var pdfResponse = await Export(c.Officer, $"{c.Url}/chronology", "application/pdf").ShouldBe(HttpStatusCode.OK);
            pdfResponse.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
            var pdf = Path.Combine(directory.FullName, "export.pdf");
            await File.WriteAllBytesAsync(pdf, await pdfResponse.Content.ReadAsByteArrayAsync());
            var (pdfCode, text) = await Run("pdftotext", "-layout", pdf, "-");
            pdfCode.ShouldBe(0, text);
            for (var n = 7; n < 60; n++) text.ShouldContain($"Follow-up call number {n}");
            text.ShouldContain("Case opened from the boards channel");
            text.ShouldContain("Signed checkpoint");
            text.ShouldContain("verify-export");
            text.ShouldContain(c.Id.ToString());
            var (_, info) = await Run("pdfinfo", pdf);
            var pages = int.Parse(info.Split('\n').Single(l => l.StartsWith("Pages:", StringComparison.Ordinal))[6..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            pages.ShouldBeGreaterThanOrEqualTo(4, "a title page, entries across pages, and the checkpoint's page");
            text.ShouldContain($"page {pages} of {pages}");
            // The table's header is repeated on every page of entries.
            System.Text.RegularExpressions.Regex.Count(text, "What happened").ShouldBeGreaterThanOrEqualTo(2);
            if (Environment.GetEnvironmentVariable("SAFEGUARDING_UPDATE_SCREENSHOTS") == "1")
            {
                // The pages as a reader sees them, for the README: the title page, the first page of entries, the checkpoint.
                var pictures = Path.Combine(Root, "docs", "exports");
                Directory.CreateDirectory(pictures);
                foreach (var (number, name) in new[] { (1, "title"), (2, "entries"), (pages, "checkpoint") })
                    (await Run("pdftoppm", "-png", "-r", "70", "-singlefile", "-f", $"{number}", "-l", $"{number}", pdf, Path.Combine(pictures, $"chronology-{name}"))).Code.ShouldBe(0);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MINIMUM_NECESSARY_an_agency_export_holds_only_that_agencys_escalations_with_what_they_shared_and_no_staff_names()
    {
        var (c, escalation) = await CaseWithHistory(api, 10);
        await c.Officer.PostJson($"{c.Url}/agency-responses", new { escalationId = escalation, summary = "Social worker allocated" }).ShouldBe(HttpStatusCode.Created);
        var export = await (await Export(c.Officer,
            $"{c.Url}/chronology?audience=Agency&agency=ChildrensSocialCare&recipient=Leeds%20CSC&purpose=Strategy%20meeting").ShouldBe(HttpStatusCode.OK)).Json();
        var entries = export["entries"]!.AsArray();
        entries.Count.ShouldBe(2);
        var what = entries[0]!["what"]!.GetValue<string>();
        what.ShouldStartWith("Non emergency escalation to children's social care.");
        what.ShouldContain($"name or reference: {(await c.View())["persons"]![0]!["reference"]!.GetValue<string>()}");
        what.ShouldContain("disclosure summary: What the user said");
        what.ShouldNotContain("Barnaby");
        entries[0]!["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.ChildSafeguarding);
        entries[1]!["what"]!.GetValue<string>().ShouldBe("Response from children's social care: Social worker allocated");
        entries.ShouldAllBe(e => !e!["by"]!.GetValue<string>().Contains('('));

        var none = await (await Export(c.Officer, $"{c.Url}/chronology?audience=Agency&agency=Lado&recipient=LADO&purpose=Referral").ShouldBe(HttpStatusCode.OK)).Json();
        none["entries"]!.AsArray().ShouldBeEmpty();
    }

    [Fact]
    public async Task Every_export_is_recorded_in_the_ledger_the_access_log_and_the_auditors_list_and_a_range_narrows_it()
    {
        var (c, _) = await CaseWithHistory(api, 8);
        var internalExport = await (await Export(c.Officer, $"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK)).Json();
        var from = internalExport["entries"]![3]!["at"]!.GetValue<string>();
        var before = await c.EventCount();
        var export = await (await Export(c.Lead1,
            $"{c.Url}/chronology?audience=Court&recipient=Family%20Court%20Leeds&purpose=C100%20application&from={Uri.EscapeDataString(from)}")
            .ShouldBe(HttpStatusCode.OK)).Json();
        var exportId = export["exportId"]!.GetValue<Guid>();
        var versions = export["entries"]!.AsArray().Select(e => e!["version"]!.GetValue<long>()).ToList();
        versions.ShouldBe([4L, 5, 6, 7, 8, 9], "from version 4, including the internal export recorded at version 9");

        var events = await api.EventsOf(c.Id);
        events.Count.ShouldBe(before + 1, "the export is recorded as one event");
        var recorded = events[^1].Data.ShouldBeOfType<ChronologyExported>();
        recorded.ExportId.ShouldBe(exportId);
        recorded.Audience.ShouldBe(ExportAudience.Court);
        recorded.Recipient.ShouldBe("Family Court Leeds");
        recorded.Purpose.ShouldBe("C100 application");
        recorded.Versions.ShouldBe(versions);
        recorded.RootHash.ShouldBe(export["checkpoint"]!["rootHash"]!.GetValue<string>());
        recorded.By.Subject.ShouldBe("lead-1");

        var listed = await (await Auditor.GetAsync("/api/v1/audit/exports?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var item = listed["items"]!.AsArray().Single(i => i!["exportId"]!.GetValue<Guid>() == exportId)!;
        item["caseId"]!.GetValue<Guid>().ShouldBe(c.Id);
        item["recipient"]!.GetValue<string>().ShouldBe("Family Court Leeds");
        item["purpose"]!.GetValue<string>().ShouldBe("C100 application");
        item["audience"]!.GetValue<string>().ShouldBe("Court");
        item["by"]!["subject"]!.GetValue<string>().ShouldBe("lead-1");
        item["versions"]!.AsArray().Select(v => v!.GetValue<long>()).ShouldBe(versions);
        await (await c.Lead1.GetAsync("/api/v1/audit/exports")).ShouldBeProblem(HttpStatusCode.Forbidden);

        var access = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var read = access["items"]!.AsArray().Single(a => a!["exportId"]?.GetValue<Guid>() == exportId)!;
        read["exportAudience"]!.GetValue<string>().ShouldBe("Court");
        read["route"]!.GetValue<string>().ShouldBe("GET /api/v1/cases/{id}/chronology");
        read["subject"]!.GetValue<string>().ShouldBe("lead-1");

        // The record is a leaf of the ledger like any event: the next checkpoint covers it, and the case's chronology shows it.
        var later = await (await Export(c.Officer, $"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK)).Json();
        later["entries"]!.AsArray()[^1]!["what"]!.GetValue<string>().ShouldBe("Chronology exported for court to Family Court Leeds, 6 entries. Purpose: C100 application");
    }

    [Fact]
    public async Task Refusals_bad_requests_other_formats_roles_and_restricted_cases_append_nothing()
    {
        var (c, _) = await CaseWithHistory(api, 7);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Court"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Agency&recipient=x&purpose=y"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Internal&agency=Lado"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Subject"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Everyone"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Court&recipient={new string('r', 501)}&purpose=p"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology", "application/xml"), (HttpStatusCode)406);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?from=yesterday"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Agency&agency=Nobody&recipient=r&purpose=p"), HttpStatusCode.BadRequest);
        // What jsonb cannot hold, or the destroyed marker's noncharacters, is refused like any other request text.
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Court&recipient=a%00b&purpose=p"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Officer, $"{c.Url}/chronology?audience=Court&recipient=r&purpose=%EF%B7%90x"), HttpStatusCode.BadRequest);
        await c.ShouldFail(() => Export(c.Clinician, $"{c.Url}/chronology"), HttpStatusCode.Forbidden);
        await (await Export(c.Officer, $"/api/v1/cases/{Guid.NewGuid()}/chronology")).ShouldBeProblem(HttpStatusCode.NotFound);

        // NEED-TO-KNOW: someone not named is refused, and so is a break-glass holder (BREAK-GLASS: reading and the emergency path only).
        await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = new[] { "officer-1" }, reason = "Allegation about a moderator" }).ShouldBe(HttpStatusCode.OK);
        var outsider = api.ClientAs("officer-9", Roles.SafeguardingOfficer);
        (await c.ShouldFail(() => Export(outsider, $"{c.Url}/chronology"), HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        await outsider.PostJson($"{c.Url}/break-glass", new { reason = "Caller says the child is in danger now" }).ShouldBe(HttpStatusCode.Created);
        (await c.ShouldFail(() => Export(outsider, $"{c.Url}/chronology"), HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.BreakGlass]);
        await Export(c.Officer, $"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Text_in_any_script_or_with_characters_the_font_lacks_still_exports_as_a_pdf_and_verifies_as_json()
    {
        var (c, _) = await CaseWithHistory(api, 7);
        const string text = "Emoji 😀, 中文, עברית, ﷽ and a tab\there";
        await c.Officer.PostJson($"{c.Url}/notes", new { text }).ShouldBe(HttpStatusCode.Created);
        var pdf = await Export(c.Officer, $"{c.Url}/chronology", "application/pdf").ShouldBe(HttpStatusCode.OK);
        (await pdf.Content.ReadAsByteArrayAsync()).Length.ShouldBeGreaterThan(1000);
        var json = await (await Export(c.Officer, $"{c.Url}/chronology").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        JsonNode.Parse(json)!["entries"]!.AsArray()[^2]!["what"]!.GetValue<string>().ShouldBe($"Note: {text}");
        using var key = ECDsa.Create();
        key.ImportFromPem(await PublicKeyPem(Auditor));
        SafeguardingCases.Api.Features.Exports.ExportProof.Verify(json, key).Valid.ShouldBeTrue();
        var directory = Directory.CreateTempSubdirectory("export-");
        try
        {
            var file = Path.Combine(directory.FullName, "export.json");
            var pem = Path.Combine(directory.FullName, "key.pem");
            await File.WriteAllTextAsync(file, json);
            await File.WriteAllTextAsync(pem, await PublicKeyPem(Auditor));
            var (code, output) = await Run("python3", Path.Combine(Root, "deploy", "verify-export.py"), file, pem);
            code.ShouldBe(0, output);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static Task<(int Code, string Output)> VerifyExport(string file, string key) =>
        ApiProcess.RunToExitAsync(new Dictionary<string, string>(), "verify-export", file, "--public-key", key)
            .ContinueWith(t => (t.Result.Exit, (t.Result.Output + t.Result.Error).Trim()), TaskScheduler.Default);

    [Fact]
    public async Task A_pdf_reads_in_uk_time_across_the_clocks_while_the_json_keeps_utc_as_hashed()
    {
        ExportEntry Entry(long version, string at) => new(version, at, $"Entry {version}", "Officer One (SafeguardingOfficer)", [], new string('a', 64), version - 1, []);
        var export = new ChronologyExport(Guid.NewGuid(), Guid.NewGuid(), ExportAudience.Internal, null, null, null,
            NodaTime.Instant.FromUtc(2026, 7, 1, 9, 30), [Entry(1, "2026-07-01T15:00:05Z"), Entry(2, "2026-12-01T15:00:05.5Z"), Entry(3, "2026-03-29T00:59:59Z"),
                Entry(4, "2026-03-29T01:00:00Z")],
            new ExportCheckpoint("note", "signature", "key", 4, "root"), null, ExportProof.HowToVerify);
        var text = await PdfTextAsync(export);
        text.ShouldContain("When (UK time)");
        // The column wraps a time under its date: "1 Jul 2026" then "16:00:05 BST".
        text.ShouldContain("16:00:05 BST", Case.Sensitive, "summer: an hour on from UTC");
        text.ShouldContain("15:00:05 GMT", Case.Sensitive, "winter: UTC");
        text.ShouldContain("00:59:59 GMT", Case.Sensitive, "the last second before the clocks went forward");
        text.ShouldContain("02:00:00 BST", Case.Sensitive, "the first second after");
        foreach (var date in new[] { "1 Jul 2026", "1 Dec 2026", "29 Mar 2026" }) text.ShouldContain(date);
        text.ShouldNotContain("15:00:05Z");
        text.ShouldContain("1 Jul 2026 10:30:00 BST (2026-07-01T09:30:00Z)", Case.Sensitive, "generated, with the UTC instant beside it");
    }

    [Fact]
    public async Task A_pdf_breaks_a_rule_id_only_at_its_hyphens_so_each_part_reads_whole()
    {
        string[] rules = ["CHILD-SAFEGUARDING", "CURRENT-INFO", "CLINICIAN-DECIDES", "LEGACY-POSITION-OF-TRUST", "HISTORICAL-NOT-EMERGENCY", "ADULT-NO-NON-EMERGENCY"];
        var export = new ChronologyExport(Guid.NewGuid(), Guid.NewGuid(), ExportAudience.Internal, null, null, null, NodaTime.Instant.FromUtc(2026, 7, 1, 9, 30),
            [new ExportEntry(1, "2026-07-01T15:00:05Z", "Non emergency escalation to children's social care", "Officer One (SafeguardingOfficer)", rules, new string('a', 64), 0, [])],
            new ExportCheckpoint("note", "signature", "key", 1, "root"), null, ExportProof.HowToVerify);
        var text = await PdfTextAsync(export);
        // Broken by characters, the column read "CHILD-SAFEGU" over "ARDING": neither found by a search for the rule.
        foreach (var part in rules.SelectMany(r => r.Split('-')).Distinct())
            text.ShouldMatch($@"(?<![A-Z]){part}(?![A-Z])", $"'{part}' is split across lines");
    }

    /// <summary>The export as a PDF, read back by Poppler's pdftotext keeping the layout.</summary>
    private static async Task<string> PdfTextAsync(ChronologyExport export)
    {
        var directory = Directory.CreateTempSubdirectory("export-");
        try
        {
            var pdf = Path.Combine(directory.FullName, "export.pdf");
            await File.WriteAllBytesAsync(pdf, ChronologyPdf.Write(export, "Chronology"));
            var (code, text) = await Run("pdftotext", "-layout", pdf, "-");
            code.ShouldBe(0, text);
            return text;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    internal static async Task<(int Code, string Output)> Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output + await error).Trim());
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SafeguardingCases.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }
}
