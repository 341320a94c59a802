using System.Net;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Policy;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Lifecycle;

/// <summary>
/// POLICY.md as it now stands, over HTTP against real PostgreSQL: the six departures the policy audit found and the
/// clarified rules. Each refusal: status, ruleIds, and nothing appended.
/// </summary>
public sealed class PolicyChangesOverHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly Instant BeforeMerger = Instant.FromUtc(2024, 6, 1, 0, 0);

    [Fact]
    public async Task MANDATORY_CSA_an_unrelated_referral_does_not_discharge_it_and_the_case_cannot_close()
    {
        var c = await Open(api, ageYears: 14);
        var physical = await c.Disclosure(Concern("Physical"));
        var sexual = await c.Disclosure(Concern("Sexual"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical", "Sexual"));
        var referral = await c.Escalation(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [physical]));
        await c.SendNotice(referral).ShouldBe(HttpStatusCode.Created);

        var report = (await c.View())["outstandingObligations"]!.AsArray().Single(o => o!["type"]!.GetValue<string>() == "ReportDue")!;
        report["disclosureId"]!.GetValue<Guid>().ShouldBe(sexual);
        (await c.PolicyFor())["nonEmergency"]!["status"]!.GetValue<string>().ShouldBe("Required");
        await c.ShouldRefuse(() => c.Close(), RuleIds.CloseObligations);

        await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [sexual]));
        (await c.View())["outstandingObligations"]!.AsArray().ShouldNotContain(o => o!["type"]!.GetValue<string>() == "ReportDue");
    }

    [Fact]
    public async Task MANDATORY_CSA_the_peer_exemption_is_the_clinicians_and_the_disclosure_cannot_carry_it()
    {
        var c = await Open(api, ageYears: 15);
        var before = await c.EventCount();
        var withFlag = await c.Officer.PostJson($"{c.Url}/disclosures", new
        {
            disclosedAt = Iso(api.Clock.GetCurrentInstant() - Duration.FromMinutes(5)), channel = "Chat", sourceReference = "c", summary = "s",
            concerns = new[] { new { category = "Sexual", status = "Current", personId = "service-user", consensualPeerActivity = true } },
        });
        var problem = await withFlag.ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain("concerns[0].consensualPeerActivity");
        (await c.EventCount()).ShouldBe(before);

        await c.Disclosure(Concern("Sexual"));
        await c.Clinician.PostJson($"{c.Url}/risk-assessments", new
        {
            assessments = new[] { new { personId = "service-user", threatToLife = "None", currentConcerns = new[] { "Sexual" }, recommendedRoute = "None",
                peerExemption = new { reason = "Consensual, both 15, no coercion or abuse of power" } } },
            rationale = "Peer relationship",
        }).ShouldBe(HttpStatusCode.Created);

        (await c.View())["outstandingObligations"]!.AsArray().ShouldNotContain(o => o!["type"]!.GetValue<string>() == "ReportDue");
        (await c.View())["latestRiskAssessment"]!["assessments"]![0]!["peerExemption"]!["reason"]!.GetValue<string>().ShouldStartWith("Consensual");
    }

    [Fact]
    public async Task CURRENT_INFO_a_disclosure_about_a_sibling_recorded_after_the_assessment_cannot_travel_with_a_referral()
    {
        var c = await Open(api, ageYears: 15);
        var sibling = (await (await c.Officer.PostJson($"{c.Url}/persons", new { reference = "sister", description = "Younger sister", ageYears = 9 })
            .ShouldBe(HttpStatusCode.Created)).Json())["personId"]!.GetValue<string>();
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var aboutSibling = await c.Disclosure(Concern("Neglect", personId: sibling));

        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d, aboutSibling])), RuleIds.CurrentInfo);
    }

    [Fact]
    public async Task CURRENT_INFO_an_expired_assessment_behind_a_required_report_puts_the_case_in_the_assessment_queue()
    {
        var c = await Open(api, ageYears: 13);
        await c.Disclosure(Concern("Sexual", status: "Historical"));
        await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Sexual"));

        var queue = await (await c.Officer.GetAsync("/api/v1/cases?obligation=RiskAssessmentNeeded&pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();

        queue["items"]!.AsArray().ShouldContain(i => i!["id"]!.GetValue<Guid>() == c.Id);
    }

    [Fact]
    public async Task POLICY_VERSION_a_pre_merger_post_cannot_ride_along_with_a_new_one()
    {
        var c = await Open(api, ageYears: 15);
        var old = (await (await c.Disclose(BeforeMerger, Concern("Neglect")).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var recent = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical", "Neglect"));

        var problem = await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [old, recent])),
            RuleIds.PolicyVersion, RuleIds.LegacyNothingElse);

        problem["type"]!.GetValue<string>().ShouldBe("/problems/policy-refusal");
        await c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [recent])).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task LEGACY_POSITION_OF_TRUST_harm_to_others_disclosed_before_the_merger_is_not_shared()
    {
        var c = await Open(api, ageYears: 34);
        var children = (await (await c.Officer.PostJson($"{c.Url}/persons", new { reference = "club", description = "Children at the club", ageBand = "Under13" })
            .ShouldBe(HttpStatusCode.Created)).Json())["personId"]!.GetValue<string>();
        var d = (await (await c.Disclose(BeforeMerger, Concern("PositionOfTrust", personId: children)).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var a = await c.Assessment(Assessment(children, "None", "NonEmergency", "PositionOfTrust"));

        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Lado", a, [d], personId: children)), RuleIds.LegacyNothingElse);
        (await c.PolicyFor(children))["nonEmergency"]!["status"]!.GetValue<string>().ShouldBe("NotPermitted");
    }

    [Fact]
    public async Task LEGACY_NOTHING_ELSE_is_cited_on_a_legacy_adults_refusal()
    {
        var c = await Open(api, ageYears: 30);
        var d = (await (await c.Disclose(BeforeMerger, Concern("Domestic")).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Domestic"));

        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "Police101", a, [d])),
            RuleIds.AdultNoNonEmergency, RuleIds.AdultNotAtRisk, RuleIds.LegacyNothingElse);
    }

    [Fact]
    public async Task AGE_CHILD_a_date_of_birth_judges_each_disclosure_with_the_age_at_its_time()
    {
        var officer = api.ClientFor(Domain.Cases.Roles.SafeguardingOfficer);
        var now = api.Clock.GetCurrentInstant();
        var eighteenthBirthday = now.InUtc().Date.PlusDays(-10);
        var opened = await (await officer.PostJson("/api/v1/cases", new
        {
            channel = "Text", sourceReference = "t-1", summary = "s",
            serviceUser = new { reference = "u", dateOfBirth = eighteenthBirthday.PlusYears(-18).ToString("yyyy-MM-dd", null) },
        }).ShouldBe(HttpStatusCode.Created)).Json();
        var c = CaseApiFor(opened["id"]!.GetValue<Guid>());
        var asChild = (await (await c.Disclose(now - Duration.FromDays(20), Concern("Physical")).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var asAdult = (await (await c.Disclose(now - Duration.FromDays(2), Concern("Physical")).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();

        var view = await c.View();
        view["persons"]![0]!["classification"]!.GetValue<string>().ShouldBe("AdultNotAtRisk");
        view["persons"]![0]!["dateOfBirth"]!.GetValue<string>().ShouldBe(eighteenthBirthday.PlusYears(-18).ToString("yyyy-MM-dd", null));
        var byDisclosure = view["disclosures"]!.AsArray().ToDictionary(d => d!["id"]!.GetValue<Guid>(), d => d!["persons"]![0]!["classification"]!.GetValue<string>());
        byDisclosure[asChild].ShouldBe("Child");
        byDisclosure[asAdult].ShouldBe("AdultNotAtRisk");

        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await c.ShouldRefuse(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [asAdult])), RuleIds.AdultNoNonEmergency);
        await c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [asChild])).ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AGE_CHILD_recording_a_date_of_birth_later_re_judges_earlier_disclosures()
    {
        var c = await Open(api, ageYears: 19);
        await c.Disclosure(Concern("Physical"));
        (await c.View())["disclosures"]![0]!["persons"]![0]!["classification"]!.GetValue<string>().ShouldBe("AdultNotAtRisk");

        var born = api.Clock.GetCurrentInstant().InUtc().Date.PlusYears(-16);
        await c.Officer.PutJson($"{c.Url}/persons/service-user", new { dateOfBirth = born.ToString("yyyy-MM-dd", null) }).ShouldBe(HttpStatusCode.OK);

        (await c.View())["disclosures"]![0]!["persons"]![0]!["classification"]!.GetValue<string>().ShouldBe("Child");
        await (await c.Officer.PutJson($"{c.Url}/persons/service-user", new { dateOfBirth = born.ToString("yyyy-MM-dd", null), ageYears = 16 }))
            .ShouldBeProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task RECORD_NO_ESCALATION_the_owed_decision_blocks_closing()
    {
        var c = await Open(api, ageYears: 22);
        await c.Disclosure(Concern("Sexual", status: "Historical"));
        await c.Assessment(Assessment("service-user", "None", "None"));

        await c.ShouldRefuse(() => c.Close(), RuleIds.CloseObligations);
        await c.Clinician.PostJson($"{c.Url}/no-escalation-decisions", new { reason = "Adult, historical, no children at risk" }).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AGENCY_FEEDBACK_is_recorded_on_a_closed_case_without_reopening_it()
    {
        var c = await Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var e = await c.Escalation(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d]));
        await c.SendNotice(e).ShouldBe(HttpStatusCode.Created);
        await c.Close().ShouldBe(HttpStatusCode.OK);

        await c.Officer.PostJson($"{c.Url}/agency-responses", new { escalationId = e, summary = "A social worker visited" }).ShouldBe(HttpStatusCode.Created);

        var view = await c.View();
        view["status"]!.GetValue<string>().ShouldBe("Closed");
        view["escalations"]![0]!["agencyResponses"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task NO_DUPLICATE_ESCALATION_the_same_escalation_twice_is_409_naming_the_first_and_appends_nothing()
    {
        var c = await Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var first = await c.Escalation(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d]));

        var problem = await c.ShouldFail(() => c.Escalate(EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d], shared: ["Name"])), HttpStatusCode.Conflict);

        problem.RuleIds().ShouldBe([RuleIds.NoDuplicateEscalation]);
        problem["detail"]!.GetValue<string>().ShouldContain(first.ToString());
    }

    [Fact]
    public async Task NO_DUPLICATE_ESCALATION_holds_under_concurrency()
    {
        var c = await Open(api, ageYears: 16);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        var officers = Enumerable.Range(0, 6).Select(i => api.ClientAs($"officer-dup-{i}", Domain.Cases.Roles.SafeguardingOfficer)).ToArray();

        var responses = await Task.WhenAll(officers.Select(o => o.PostJson($"{c.Url}/escalations", EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d]))));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(5);
        (await c.View())["escalations"]!.AsArray().Count.ShouldBe(1);
    }

    [Fact]
    public async Task OVERRIDE_auditors_list_every_override_whatever_became_of_it()
    {
        var c = await Open(api, ageYears: 28);
        var d = await c.Disclosure(Concern("Domestic"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Domestic"));
        async Task<Guid> Request(string why) => (await (await c.Lead1.PostJson($"{c.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = why })
            .ShouldBe(HttpStatusCode.Created)).Json())["overrideId"]!.GetValue<Guid>();
        var requested = await Request("Only requested");
        var approved = await Request("Approved, never used");
        var used = await Request("Approved and used");
        foreach (var o in new[] { approved, used })
        {
            await c.Lead1.PostJson($"{c.Url}/overrides/{o}/approvals", new { justification = "Yes" }).ShouldBe(HttpStatusCode.Created);
            await c.Lead2.PostJson($"{c.Url}/overrides/{o}/approvals", new { justification = "Yes too" }).ShouldBe(HttpStatusCode.Created);
        }
        var escalation = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d], overrideId: used));

        var all = await (await c.Auditor.GetAsync("/api/v1/audit/overrides?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var mine = all["items"]!.AsArray().Where(i => i!["caseId"]!.GetValue<Guid>() == c.Id).ToDictionary(i => i!["overrideId"]!.GetValue<Guid>());
        mine[requested]!["status"]!.GetValue<string>().ShouldBe("Requested");
        mine[approved]!["status"]!.GetValue<string>().ShouldBe("Approved");
        mine[approved]!["approvals"]!.AsArray().Select(x => x!["by"]!["subject"]!.GetValue<string>()).ShouldBe(["lead-1", "lead-2"]);
        mine[used]!["status"]!.GetValue<string>().ShouldBe("Used");
        mine[used]!["usedByEscalation"]!.GetValue<Guid>().ShouldBe(escalation);

        var onlyUsed = await (await c.Auditor.GetAsync("/api/v1/audit/overrides?status=Used").ShouldBe(HttpStatusCode.OK)).Json();
        onlyUsed["items"]!.AsArray().ShouldAllBe(i => i!["status"]!.GetValue<string>() == "Used");

        var page1 = await (await c.Auditor.GetAsync("/api/v1/audit/overrides?limit=1").ShouldBe(HttpStatusCode.OK)).Json();
        var next = page1["next"]!.GetValue<string>();
        var page2 = await (await c.Auditor.GetAsync($"/api/v1/audit/overrides?limit=1&cursor={next}").ShouldBe(HttpStatusCode.OK)).Json();
        page2["items"]![0]!["overrideId"]!.GetValue<Guid>().ShouldNotBe(page1["items"]![0]!["overrideId"]!.GetValue<Guid>());
        await (await c.Auditor.GetAsync("/api/v1/audit/overrides?cursor=not-a-cursor")).ShouldBeProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OVERRIDE_a_lead_finds_every_override_waiting_for_a_second_lead_on_open_cases_they_may_see()
    {
        var c = await Open(api, ageYears: 28);
        async Task<Guid> Request(CaseApi on, string why) => (await (await on.Lead1.PostJson($"{on.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = why })
            .ShouldBe(HttpStatusCode.Created)).Json())["overrideId"]!.GetValue<Guid>();
        var waiting = await Request(c, "Nobody has approved it");
        var approved = await Request(c, "Two leads approved it");
        var half = await Request(c, "One lead approved it");
        await c.Lead1.PostJson($"{c.Url}/overrides/{approved}/approvals", new { justification = "Yes" }).ShouldBe(HttpStatusCode.Created);
        await c.Lead2.PostJson($"{c.Url}/overrides/{approved}/approvals", new { justification = "Yes too" }).ShouldBe(HttpStatusCode.Created);
        await c.Lead1.PostJson($"{c.Url}/overrides/{half}/approvals", new { justification = "Yes" }).ShouldBe(HttpStatusCode.Created);
        // On a case restricted to lead-1 (NEED-TO-KNOW), and on a closed case: neither is waiting on lead-2.
        var restricted = await Open(api, ageYears: 30);
        await restricted.Lead1.PutJson($"{restricted.Url}/restriction", new { allowedSubjects = new[] { "lead-1" }, reason = "Allegation about a lead" })
            .ShouldBe(HttpStatusCode.OK);
        var hidden = await Request(restricted, "On a restricted case");
        var closed = await Open(api, ageYears: 31);
        var onClosed = await Request(closed, "On a case closed since");
        await closed.Close().ShouldBe(HttpStatusCode.OK);

        async Task<List<System.Text.Json.Nodes.JsonNode>> Awaiting(HttpClient lead) =>
            [.. (await (await lead.GetAsync("/api/v1/overrides/awaiting-approval?limit=200").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Select(i => i!)];
        var forLead2 = await Awaiting(c.Lead2);
        var ids = forLead2.Select(i => i["overrideId"]!.GetValue<Guid>()).ToList();
        ids.ShouldContain(waiting);
        ids.ShouldContain(half);
        ids.ShouldNotContain(approved);
        ids.ShouldNotContain(hidden);
        ids.ShouldNotContain(onClosed);
        ids.IndexOf(waiting).ShouldBeLessThan(ids.IndexOf(half), "longest waiting first");
        var halfEntry = forLead2.Single(i => i["overrideId"]!.GetValue<Guid>() == half);
        halfEntry["status"]!.GetValue<string>().ShouldBe("Requested");
        halfEntry["approvals"]!.AsArray().Select(a => a!["by"]!["subject"]!.GetValue<string>()).ShouldBe(["lead-1"]);
        halfEntry["justification"]!.GetValue<string>().ShouldBe("One lead approved it");
        (await Awaiting(c.Lead1)).ShouldContain(i => i["overrideId"]!.GetValue<Guid>() == hidden, "lead-1 is named in the restriction");

        // The second lead approves from the list: it leaves it.
        await c.Lead2.PostJson($"{c.Url}/overrides/{half}/approvals", new { justification = "Agreed" }).ShouldBe(HttpStatusCode.Created);
        (await Awaiting(c.Lead2)).ShouldNotContain(i => i["overrideId"]!.GetValue<Guid>() == half);

        // Paging, the access log (every case shown), and a bad cursor.
        await Request(c, "Another, so there are two pages");
        var page1 = await (await c.Lead2.GetAsync("/api/v1/overrides/awaiting-approval?limit=1").ShouldBe(HttpStatusCode.OK)).Json();
        var page2 = await (await c.Lead2.GetAsync($"/api/v1/overrides/awaiting-approval?limit=1&cursor={page1["next"]!.GetValue<string>()}").ShouldBe(HttpStatusCode.OK)).Json();
        page2["items"]![0]!["overrideId"]!.GetValue<Guid>().ShouldNotBe(page1["items"]![0]!["overrideId"]!.GetValue<Guid>());
        var log = await (await c.Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}").ShouldBe(HttpStatusCode.OK)).Json();
        log["items"]!.AsArray().ShouldContain(e => e!["subject"]!.GetValue<string>() == "lead-2" && e["route"]!.GetValue<string>() == "GET /api/v1/overrides/awaiting-approval");
        await (await c.Lead2.GetAsync("/api/v1/overrides/awaiting-approval?cursor=not-a-cursor")).ShouldBeProblem(HttpStatusCode.BadRequest);
    }

    private CaseApi CaseApiFor(Guid id) => CaseApi.For(api, id);

    [Fact]
    public async Task LEGACY_NOTHING_ELSE_a_legacy_referral_to_the_wrong_agency_cites_it_and_never_MANDATORY_CSA()
    {
        // A pre-merger disclosure by a 15-year-old about a teacher, sent to children's social care.
        var c = await Open(api, ageYears: 15);
        var d = (await (await c.Disclose(BeforeMerger, Concern("PositionOfTrust")).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "PositionOfTrust"));
        var problem = await c.ShouldRefuse(() => c.Officer.PostJson($"{c.Url}/escalations", EscalationBody("NonEmergency", "ChildrensSocialCare", a, [d])),
            RuleIds.LegacyNothingElse, RuleIds.LegacyPositionOfTrust);
        problem.RuleIds().ShouldNotContain(RuleIds.MandatoryCsa);
        problem.RuleIds().ShouldNotContain(RuleIds.ChildSafeguarding);
        await c.Escalation(EscalationBody("NonEmergency", "Lado", a, [d]));
    }

    [Fact]
    public async Task LEGACY_POSITION_OF_TRUST_a_27_year_olds_pre_merger_post_about_a_teacher_may_go_to_police_101()
    {
        var c = await Open(api, ageYears: 27);
        var d = (await (await c.Disclose(BeforeMerger, Concern("PositionOfTrust", status: "Historical"))
            .ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "PositionOfTrust"));
        var route = (await c.PolicyFor())["nonEmergency"]!;
        route["status"]!.GetValue<string>().ShouldBe("Permitted");
        route["ruleIds"]!.AsArray().Select(r => r!.GetValue<string>()).ShouldContain(RuleIds.LegacyPositionOfTrust);
        var made = await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        made.ShouldNotBe(Guid.Empty);
    }
}
