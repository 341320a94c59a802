using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using NodaTime;
using SafeguardingCases.Api.Tests.Foundation;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Api.Tests.Lifecycle;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Tests.Access;

/// <summary>
/// POLICY.md section 8 over HTTP: a lead restricts a case to named staff (NEED-TO-KNOW); everyone else is refused on
/// every route and does not see it in lists; someone not named may break the glass for a limited time (BREAK-GLASS);
/// every read of a case's details is in the access log with how the reader came to see it (ACCESS-LOG).
/// </summary>
public sealed class NeedToKnowTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    /// <summary>Holds every staff role but is named in no restriction: roles alone must not open a restricted case.</summary>
    private HttpClient Outsider => api.ClientAs("moderator-7", [.. Roles.All]);

    private HttpClient Auditor => api.ClientAs("auditor-1", Roles.Auditor);

    private static object Restriction(params string[] subjects) => new { allowedSubjects = subjects, reason = "Allegation about a moderator" };

    private async Task<CaseApi> RestrictedCase()
    {
        var c = await CaseApi.Open(api);
        await c.Disclose(null, CaseApi.Concern("Physical")).ShouldBe(HttpStatusCode.Created);
        var restricted = await (await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1", "clinician-1")).ShouldBe(HttpStatusCode.OK)).Json();
        restricted["allowedSubjects"]!.AsArray().Select(s => s!.GetValue<string>()).ShouldBe(["officer-1", "clinician-1", "lead-1"], ignoreOrder: true);
        return c;
    }

    /// <summary>Every route on one case, with a body that passes validation, so the refusal seen is the restriction's.</summary>
    public static TheoryData<string, string> CaseRoutes()
    {
        var data = new TheoryData<string, string>();
        var bodies = NoServerErrorTests.FreeTextFields.GroupBy(f => (f.Method, f.Route)).ToDictionary(g => g.Key, g => g.First().Body.Replace("@BAD@", "x", StringComparison.Ordinal));
        foreach (var (method, route, _) in RoleMatrixTests.Matrix.Where(m => m.Route.StartsWith("/api/v1/cases/{id}", StringComparison.Ordinal)))
        {
            if (route.EndsWith("/break-glass", StringComparison.Ordinal) || route.EndsWith("/integrity", StringComparison.Ordinal)) continue;
            var local = route["/api/v1".Length..];
            var template = local.Replace("{overrideId}", "6b1f0c1e-0000-4000-8000-000000000001", StringComparison.Ordinal)
                .Replace("{decisionId}", "6b1f0c1e-0000-4000-8000-000000000002", StringComparison.Ordinal)
                .Replace("{exportId}", "6b1f0c1e-0000-4000-8000-000000000003", StringComparison.Ordinal);
            var body = bodies.TryGetValue((method, template), out var b) ? b
                : route.EndsWith("/persons/{personId}", StringComparison.Ordinal) ? """{"ageYears":15}""" : "";
            data.Add($"{method} {route}", body);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseRoutes))]
    public async Task NEED_TO_KNOW_a_restricted_case_refuses_everyone_not_named_on_every_route_and_appends_nothing(string call, string body)
    {
        var c = await RestrictedCase();
        var before = await c.EventCount();
        var (method, route) = (call.Split(' ')[0], call.Split(' ')[1]);
        var url = route.Replace("{id}", c.Id.ToString(), StringComparison.Ordinal)
            .Replace("{personId}", "service-user", StringComparison.Ordinal)
            .Replace("{overrideId}", "6b1f0c1e-0000-4000-8000-000000000001", StringComparison.Ordinal)
            .Replace("{decisionId}", "6b1f0c1e-0000-4000-8000-000000000002", StringComparison.Ordinal)
            .Replace("{exportId}", "6b1f0c1e-0000-4000-8000-000000000003", StringComparison.Ordinal);
        if (route.EndsWith("/as-of", StringComparison.Ordinal)) url += "?version=1";

        var response = method == "GET" ? await Outsider.GetAsync(url)
            : await Outsider.SendJson(new HttpMethod(method), url, body.Length == 0 ? "{}" : body);

        var problem = await response.ShouldBeProblem(HttpStatusCode.Forbidden);
        problem["type"]!.GetValue<string>().ShouldBe("/problems/restricted");
        problem.RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        problem.ToJsonString().ShouldNotContain("moderator");
        (await c.EventCount()).ShouldBe(before, "a refused command appends nothing");
    }

    [Fact]
    public async Task NEED_TO_KNOW_named_staff_and_the_restricting_lead_work_on_the_case_and_auditors_may_still_verify_it()
    {
        var c = await RestrictedCase();
        await c.Officer.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await c.Clinician.GetAsync($"{c.Url}/policy").ShouldBe(HttpStatusCode.OK);
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "named officer's note" }).ShouldBe(HttpStatusCode.Created);
        await c.Lead1.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK);

        await (await c.Lead2.GetAsync($"{c.Url}/history")).ShouldBeProblem(HttpStatusCode.Forbidden);
        await (await c.Auditor.GetAsync(c.Url)).ShouldBeProblem(HttpStatusCode.Forbidden);
        var integrity = await (await c.Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        integrity["valid"]!.GetValue<bool>().ShouldBeTrue("integrity shows no details, so auditors verify restricted cases too");
    }

    [Fact]
    public async Task NEED_TO_KNOW_lists_show_a_restricted_case_only_to_named_staff()
    {
        var c = await RestrictedCase();
        async Task<List<JsonNode>> ListFor(HttpClient client) =>
            [.. (await (await client.GetAsync("/api/v1/cases?pageSize=200").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Select(i => i!)];

        (await ListFor(Outsider)).ShouldNotContain(i => i["id"]!.GetValue<Guid>() == c.Id);
        (await ListFor(c.Lead2)).ShouldNotContain(i => i["id"]!.GetValue<Guid>() == c.Id);
        var named = (await ListFor(c.Officer)).Single(i => i["id"]!.GetValue<Guid>() == c.Id);
        named["restricted"]!.GetValue<bool>().ShouldBeTrue();

        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "").ShouldBe(HttpStatusCode.OK);
        (await ListFor(Outsider)).Single(i => i["id"]!.GetValue<Guid>() == c.Id)["restricted"]!.GetValue<bool>().ShouldBeFalse();
        await Outsider.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task NEED_TO_KNOW_the_restricted_filter_lists_only_the_restricted_cases_the_reader_is_named_in_page_by_page()
    {
        var first = await RestrictedCase();
        var second = await RestrictedCase();
        var open = await CaseApi.Open(api);
        async Task<List<Guid>> AllPages(HttpClient client, string filter)
        {
            var ids = new List<Guid>();
            string? cursor = null;
            do
            {
                var page = await (await client.GetAsync($"/api/v1/cases?{filter}&limit=1" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}"))
                    .ShouldBe(HttpStatusCode.OK)).Json();
                var items = page["items"]!.AsArray();
                items.Count.ShouldBeLessThanOrEqualTo(1);
                items.ShouldAllBe(i => i!["restricted"]!.GetValue<bool>() == filter.EndsWith("true", StringComparison.Ordinal));
                ids.AddRange(items.Select(i => i!["id"]!.GetValue<Guid>()));
                cursor = page["next"]?.GetValue<string>();
            }
            while (cursor is not null);
            return ids;
        }

        // Every restricted case the officer is named in, one a page, and nothing else: a lead looking for them never
        // pages through every other case first.
        var restricted = await AllPages(first.Officer, "restricted=true");
        restricted.ShouldContain(first.Id);
        restricted.ShouldContain(second.Id);
        restricted.ShouldNotContain(open.Id);
        restricted.Count.ShouldBe(restricted.Distinct().Count());
        (await AllPages(Outsider, "restricted=true")).ShouldNotContain(id => id == first.Id || id == second.Id);
        (await AllPages(first.Lead2, "restricted=true")).ShouldNotContain(id => id == first.Id || id == second.Id);
        var unrestricted = await first.Officer.GetAsync("/api/v1/cases?restricted=false&limit=200").ShouldBe(HttpStatusCode.OK);
        var items = (await unrestricted.Json())["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        items.ShouldNotContain(first.Id);
        items.ShouldNotContain(second.Id);

        var bad = await (await first.Officer.GetAsync("/api/v1/cases?restricted=sometimes").ShouldBe(HttpStatusCode.BadRequest)).Json();
        bad["errors"]!.ToJsonString().ShouldContain("restricted", Case.Insensitive);
    }

    [Fact]
    public async Task NEED_TO_KNOW_only_a_named_lead_changes_or_lifts_a_restriction()
    {
        var c = await RestrictedCase();
        var before = await c.EventCount();
        (await (await c.Lead2.PutJson($"{c.Url}/restriction", Restriction("lead-2"))).ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        await (await c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "")).ShouldBeProblem(HttpStatusCode.Forbidden);
        (await (await c.Lead1.PutJson($"{c.Url}/restriction", new { allowedSubjects = Array.Empty<string>(), reason = "r" })).ShouldBeProblem(HttpStatusCode.BadRequest))
            ["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain("allowedSubjects");
        (await c.EventCount()).ShouldBe(before);

        await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1", "lead-2")).ShouldBe(HttpStatusCode.OK);
        await c.Lead2.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await (await c.Clinician.GetAsync(c.Url)).ShouldBeProblem(HttpStatusCode.Forbidden);
        await c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "").ShouldBe(HttpStatusCode.OK);
        (await (await c.Lead2.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "")).ShouldBeProblem(HttpStatusCode.Conflict)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        var types = (await api.EventsOf(c.Id)).Select(e => e.EventTypeName).ToList();
        types.ShouldContain("case_restricted");
        types.ShouldContain("case_restriction_lifted");
    }

    [Fact]
    public async Task NEED_TO_KNOW_a_write_racing_the_restriction_never_lands_after_it()
    {
        var c = await RestrictedCase();
        await c.Lead1.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "").ShouldBe(HttpStatusCode.OK);
        var outsider = Outsider;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 4).Select(async w =>
        {
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < 15; i++) statuses.Add((await outsider.PostJson($"{c.Url}/notes", new { text = $"note {w}-{i}" })).StatusCode);
            return statuses;
        }).ToList();
        await Task.Delay(50);
        var restrict = await (await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1")).ShouldBe(HttpStatusCode.OK)).Json();
        var statuses = (await Task.WhenAll(writers)).SelectMany(s => s).ToList();

        statuses.ShouldAllBe(s => s == HttpStatusCode.Created || s == HttpStatusCode.Forbidden);
        var restrictedAt = restrict["version"]!.GetValue<long>();
        var events = await api.EventsOf(c.Id);
        events.Where(e => e.Version > restrictedAt).ShouldAllBe(e => e.EventTypeName != "note_added" || ((NoteAdded)e.Data).By.Subject != "moderator-7",
            "no note by someone not named lands after the restriction");
        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(events.Count(e => e.Data is NoteAdded n && n.By.Subject == "moderator-7"));
    }

    [Fact]
    public async Task BREAK_GLASS_opens_a_restricted_case_for_the_configured_time_and_auditors_list_it_with_its_reason()
    {
        var c = await RestrictedCase();
        var outsider = api.ClientAs("officer-2", Roles.SafeguardingOfficer);
        await (await outsider.GetAsync(c.Url)).ShouldBeProblem(HttpStatusCode.Forbidden);
        var from = api.Clock.GetCurrentInstant();

        var response = await outsider.PostJson($"{c.Url}/break-glass", new { reason = "Caller on the line says the child is in danger now" })
            .ShouldBe(HttpStatusCode.Created);
        var grant = await response.Json();
        var until = grant["until"]!.GetValue<string>();
        var granted = NodaTime.Text.InstantPattern.ExtendedIso.Parse(until).Value;
        (granted - (from + Duration.FromHours(1))).TotalSeconds.ShouldBeInRange(0, 5);

        await outsider.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await outsider.PostJson($"{c.Url}/notes", new { text = "spoke to the child" }).ShouldBe(HttpStatusCode.Created);
        api.Clock.Advance(Duration.FromMinutes(61));
        await (await outsider.GetAsync(c.Url)).ShouldBeProblem(HttpStatusCode.Forbidden);

        var listed = await (await Auditor.GetAsync($"/api/v1/audit/break-glass?from={CaseApi.Iso(from - Duration.FromSeconds(1))}").ShouldBe(HttpStatusCode.OK)).Json();
        var entry = listed["items"]!.AsArray().Single(i => i!["caseId"]!.GetValue<Guid>() == c.Id)!;
        entry["reason"]!.GetValue<string>().ShouldBe("Caller on the line says the child is in danger now");
        entry["by"]!["subject"]!.GetValue<string>().ShouldBe("officer-2");
        entry["until"]!.GetValue<string>().ShouldBe(until);
        (await api.EventsOf(c.Id)).ShouldContain(e => e.EventTypeName == "break_glass_access_granted", "the grant is in the case's tamper-evident record");
        await (await c.Lead1.GetAsync("/api/v1/audit/break-glass")).ShouldBeProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task BREAK_GLASS_is_refused_without_a_reason_or_without_glass_to_break_and_appends_nothing()
    {
        var open = await CaseApi.Open(api);
        var before = await open.EventCount();
        (await (await Outsider.PostJson($"{open.Url}/break-glass", new { reason = "why" })).ShouldBeProblem(HttpStatusCode.Conflict)).RuleIds()
            .ShouldBe([RuleIds.BreakGlass]);
        (await open.EventCount()).ShouldBe(before);

        var c = await RestrictedCase();
        before = await c.EventCount();
        (await (await c.Officer.PostJson($"{c.Url}/break-glass", new { reason = "why" })).ShouldBeProblem(HttpStatusCode.Conflict)).RuleIds()
            .ShouldBe([RuleIds.BreakGlass]);
        (await (await Outsider.PostJson($"{c.Url}/break-glass", new { reason = "" })).ShouldBeProblem(HttpStatusCode.BadRequest))
            ["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain("reason");
        (await c.EventCount()).ShouldBe(before);
    }

    [Fact]
    public async Task ACCESS_LOG_records_every_read_with_how_the_reader_came_to_see_the_case_lists_included()
    {
        var c = await RestrictedCase();
        var outsider = api.ClientAs("officer-3", Roles.SafeguardingOfficer);
        await c.Officer.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await (await outsider.GetAsync($"{c.Url}/policy")).ShouldBeProblem(HttpStatusCode.Forbidden);
        await outsider.PostJson($"{c.Url}/break-glass", new { reason = "emergency: child at risk" }).ShouldBe(HttpStatusCode.Created);
        await outsider.GetAsync($"{c.Url}/policy").ShouldBe(HttpStatusCode.OK);
        await c.Officer.GetAsync("/api/v1/cases?pageSize=200").ShouldBe(HttpStatusCode.OK);
        await c.Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}").ShouldBe(HttpStatusCode.OK)).Json();
        var entries = log["items"]!.AsArray().Select(e => (
            Subject: e!["subject"]!.GetValue<string>(), Route: e["route"]!.GetValue<string>(), How: e["how"]!.GetValue<string>(), Status: e["status"]!.GetValue<int>())).ToList();
        entries.ShouldContain(("officer-1", "GET /api/v1/cases/{id}", "Named", 200));
        entries.ShouldContain(("officer-3", "GET /api/v1/cases/{id}/policy", "Refused", 403));
        entries.ShouldContain(("officer-3", "GET /api/v1/cases/{id}/policy", "BreakGlass", 200));
        entries.ShouldContain(("officer-1", "GET /api/v1/cases", "Listed", 200));
        entries.ShouldContain(("auditor-1", "GET /api/v1/cases/{id}/integrity", "Role", 200));
        entries.ShouldNotContain(e => e.Route.Contains("break-glass"), "breaking the glass is a command, in the case's events; the reads after it are logged");
    }

    [Fact]
    public async Task ACCESS_LOG_every_case_a_list_shows_is_logged_and_a_list_read_changes_no_case()
    {
        var a = await CaseApi.Open(api);
        var b = await CaseApi.Open(api);
        var reader = api.ClientAs("list-reader", Roles.Clinician);
        var page = await (await reader.GetAsync("/api/v1/cases?pageSize=200").ShouldBe(HttpStatusCode.OK)).Json();
        var shown = page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<Guid>()).ToList();
        shown.ShouldContain(a.Id);
        shown.ShouldContain(b.Id);
        foreach (var id in new[] { a.Id, b.Id })
        {
            var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={id}").ShouldBe(HttpStatusCode.OK)).Json();
            log["items"]!.AsArray().ShouldContain(e => e!["subject"]!.GetValue<string>() == "list-reader" && e["how"]!.GetValue<string>() == "Listed");
        }
        (await a.EventCount()).ShouldBe(1);
    }

    [Fact]
    public async Task ACCESS_LOG_the_auditors_cross_case_lists_log_every_case_they_show()
    {
        var c = await CaseApi.Open(api);
        await c.Disclosure(CaseApi.Concern("Physical"));
        var assessment = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
        var disclosure = (await c.View())["disclosures"]![0]!["id"]!.GetValue<Guid>();
        await c.Escalation(CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", assessment, [disclosure]));
        await c.Lead1.PostJson($"{c.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = "why" }).ShouldBe(HttpStatusCode.Created);

        var auditor = api.ClientAs("auditor-lists", Roles.Auditor);
        await auditor.GetAsync("/api/v1/audit/escalations?limit=200").ShouldBe(HttpStatusCode.OK);
        await auditor.GetAsync("/api/v1/audit/overrides?limit=200").ShouldBe(HttpStatusCode.OK);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}").ShouldBe(HttpStatusCode.OK)).Json();
        var routes = log["items"]!.AsArray().Where(e => e!["subject"]!.GetValue<string>() == "auditor-lists").Select(e => e!["route"]!.GetValue<string>()).ToList();
        routes.ShouldBe(["GET /api/v1/audit/overrides", "GET /api/v1/audit/escalations"]);
    }

    [Fact]
    public async Task ACCESS_LOG_pages_by_cursor_newest_first_each_read_once()
    {
        var c = await CaseApi.Open(api);
        for (var i = 0; i < 7; i++) await c.Officer.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        var all = (await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=500").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .Select(e => e!.ToJsonString()).ToList();
        all.Count.ShouldBe(7);

        var walked = new List<string>();
        string? cursor = null;
        do
        {
            var page = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=3" + (cursor is null ? "" : $"&cursor={cursor}")).ShouldBe(HttpStatusCode.OK)).Json();
            walked.AddRange(page["items"]!.AsArray().Select(e => e!.ToJsonString()));
            cursor = page["next"]?.GetValue<string>();
        }
        while (cursor is not null);
        walked.ShouldBe(all, "the pages, in order, are the whole log once");
    }

    [Theory]
    [InlineData(Roles.SafeguardingOfficer)]
    [InlineData(Roles.Clinician)]
    [InlineData(Roles.SafeguardingLead)]
    [InlineData(Roles.Auditor)]
    public async Task BREAK_GLASS_each_staff_role_is_refused_then_breaks_the_glass_and_is_logged(string role)
    {
        var c = await RestrictedCase();
        var subject = $"outsider-{role.ToLowerInvariant()}";
        var outsider = api.ClientAs(subject, role);
        (await (await outsider.GetAsync($"{c.Url}/policy")).ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        await outsider.PostJson($"{c.Url}/break-glass", new { reason = $"{role} on call: immediate risk" }).ShouldBe(HttpStatusCode.Created);
        await outsider.GetAsync($"{c.Url}/policy").ShouldBe(HttpStatusCode.OK);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}").ShouldBe(HttpStatusCode.OK)).Json();
        var hows = log["items"]!.AsArray().Where(e => e!["subject"]!.GetValue<string>() == subject).Select(e => e!["how"]!.GetValue<string>()).ToList();
        hows.ShouldBe(["BreakGlass", "Refused"], "newest first: the refused attempt, then the read after breaking the glass");
        var grants = await (await Auditor.GetAsync("/api/v1/audit/break-glass?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        grants["items"]!.AsArray().ShouldContain(g => g!["caseId"]!.GetValue<Guid>() == c.Id && g["by"]!["subject"]!.GetValue<string>() == subject);
    }

    [Theory]
    [InlineData("""{"allowedSubjects":["a\u0000b"],"reason":"r"}""")]
    [InlineData("""{"allowedSubjects":["a\ud800b"],"reason":"r"}""")]
    [InlineData("""{"allowedSubjects":[""],"reason":"r"}""")]
    [InlineData("""{"allowedSubjects":[null],"reason":"r"}""")]
    [InlineData("""{"allowedSubjects":"lead-1","reason":"r"}""")]
    public async Task NEED_TO_KNOW_a_restriction_naming_no_one_usable_is_400_and_appends_nothing(string body)
    {
        var c = await CaseApi.Open(api);
        var before = await c.EventCount();
        var problem = await (await c.Lead1.SendJson(HttpMethod.Put, $"{c.Url}/restriction", body)).ShouldBeProblem(HttpStatusCode.BadRequest);
        problem["errors"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()).ShouldContain(n => n.StartsWith("allowedSubjects", StringComparison.Ordinal));
        problem.ShouldCarryNoInternals();
        (await c.EventCount()).ShouldBe(before);
    }

    /// <summary>A restricted case with an emergency escalation made, and an unnamed lead who has broken the glass.</summary>
    private async Task<(CaseApi Case, HttpClient Insider, Guid Assessment, Guid Disclosure)> RestrictedWithInsider()
    {
        var c = await CaseApi.Open(api);
        await c.Disclosure(CaseApi.Concern("RiskToLife"), CaseApi.Concern("Physical"));
        await c.Officer.PostJson($"{c.Url}/safety-plans", new { outcome = "NotPossible", reason = "no answer" }).ShouldBe(HttpStatusCode.Created);
        var assessment = await c.Assessment(CaseApi.Assessment("service-user", "Immediate", "Emergency", "Physical"));
        var disclosure = (await c.View())["disclosures"]![0]!["id"]!.GetValue<Guid>();
        await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1", "clinician-1")).ShouldBe(HttpStatusCode.OK);
        // The member of staff the allegation is about: a lead (who also works as an officer), not named.
        var insider = api.ClientAs("lead-insider", Roles.SafeguardingLead, Roles.SafeguardingOfficer);
        await insider.PostJson($"{c.Url}/break-glass", new { reason = "Duty lead: caller reports immediate risk" }).ShouldBe(HttpStatusCode.Created);
        return (c, insider, assessment, disclosure);
    }

    [Fact]
    public async Task RESTRICTION_OWNERS_a_lead_who_broke_the_glass_cannot_lift_replace_override_or_close_and_appends_nothing()
    {
        var (c, insider, assessment, disclosure) = await RestrictedWithInsider();
        var before = await c.EventCount();

        (await (await insider.SendJson(HttpMethod.Delete, $"{c.Url}/restriction", "")).ShouldBeProblem(HttpStatusCode.Forbidden))
            .RuleIds().ShouldBe([RuleIds.RestrictionOwners]);
        var replace = await (await insider.PutJson($"{c.Url}/restriction", Restriction("lead-insider"))).ShouldBeProblem(HttpStatusCode.Forbidden);
        replace["type"]!.GetValue<string>().ShouldBe("/problems/restricted");
        replace.RuleIds().ShouldBe([RuleIds.RestrictionOwners]);
        (await (await insider.PostJson($"{c.Url}/overrides", new { route = "NonEmergency", personId = "service-user", justification = "mine" }))
            .ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.BreakGlass]);
        (await (await insider.PostJson($"{c.Url}/close", new { reason = "nothing more" })).ShouldBeProblem(HttpStatusCode.Forbidden))
            .RuleIds().ShouldBe([RuleIds.BreakGlass]);
        (await (await insider.PostJson($"{c.Url}/persons", new { reference = "x", description = "y", ageYears = 9 })).ShouldBeProblem(HttpStatusCode.Forbidden))
            .RuleIds().ShouldBe([RuleIds.BreakGlass]);
        (await c.EventCount()).ShouldBe(before, "a refused command appends nothing");
    }

    [Fact]
    public async Task BREAK_GLASS_opens_the_emergency_path_only()
    {
        var (c, insider, assessment, disclosure) = await RestrictedWithInsider();
        await insider.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await insider.PostJson($"{c.Url}/notes", new { text = "Called 999 with the duty officer" }).ShouldBe(HttpStatusCode.Created);
        var emergency = await (await insider.PostJson($"{c.Url}/escalations",
            CaseApi.EscalationBody("Emergency", "Ambulance999", assessment, [disclosure]))).Json();
        emergency["escalationId"].ShouldNotBeNull(emergency.ToJsonString());
        await insider.PostJson($"{c.Url}/transparency-notices",
            new { escalationId = emergency["escalationId"]!.GetValue<Guid>(), message = "We called an ambulance because...", sentVia = "chat" })
            .ShouldBe(HttpStatusCode.Created);

        // A named clinician assesses the physical abuse for a non-emergency referral, which the policy permits; the
        // lead who broke the glass still may not make it.
        var nonEmergency = await c.Assessment(CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical"));
        var before = await c.EventCount();
        (await (await insider.PostJson($"{c.Url}/escalations", CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", nonEmergency, [disclosure])))
            .ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.BreakGlass]);
        (await c.EventCount()).ShouldBe(before);
    }

    [Fact]
    public async Task BREAK_GLASS_a_reason_under_ten_characters_is_refused_and_appends_nothing()
    {
        var c = await RestrictedCase();
        var before = await c.EventCount();
        foreach (var reason in new[] { "x", "   urgent   " })
        {
            var problem = await (await Outsider.PostJson($"{c.Url}/break-glass", new { reason })).ShouldBeProblem(HttpStatusCode.Forbidden);
            problem["type"]!.GetValue<string>().ShouldBe("/problems/restricted");
            problem.RuleIds().ShouldBe([RuleIds.BreakGlass]);
        }
        (await c.EventCount()).ShouldBe(before);
    }

    [Fact]
    public async Task BREAK_GLASS_a_new_restriction_ends_every_earlier_grant()
    {
        var (c, insider, _, _) = await RestrictedWithInsider();
        await insider.GetAsync(c.Url).ShouldBe(HttpStatusCode.OK);
        await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1")).ShouldBe(HttpStatusCode.OK);
        (await (await insider.GetAsync(c.Url)).ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
    }

    [Fact]
    public async Task RESTRICTION_OWNERS_an_outsider_learns_only_restricted_whatever_If_Match_or_Idempotency_Key_they_send()
    {
        var c = await CaseApi.Open(api);
        var outsider = api.ClientAs("officer-outside", Roles.SafeguardingOfficer);
        // Before the restriction, a keyed note: its answer is remembered for the key.
        var keyed = new HttpRequestMessage(HttpMethod.Post, $"{c.Url}/notes") { Content = JsonContent.Create(new { text = "first" }) };
        keyed.Headers.Add("Idempotency-Key", "outsider-note-1");
        (await outsider.SendAsync(keyed)).StatusCode.ShouldBe(HttpStatusCode.Created);
        await c.Lead1.PutJson($"{c.Url}/restriction", Restriction("officer-1")).ShouldBe(HttpStatusCode.OK);
        var version = await c.EventCount();

        foreach (var ifMatch in new[] { "\"1\"", $"\"{version}\"", "\"999\"" })
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{c.Url}/notes") { Content = JsonContent.Create(new { text = "probe" }) };
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            var problem = await (await outsider.SendAsync(request)).ShouldBeProblem(HttpStatusCode.Forbidden);
            problem.RuleIds().ShouldBe([RuleIds.NeedToKnow], $"If-Match {ifMatch}: the version is never compared for someone not named");
        }
        var replay = new HttpRequestMessage(HttpMethod.Post, $"{c.Url}/notes") { Content = JsonContent.Create(new { text = "first" }) };
        replay.Headers.Add("Idempotency-Key", "outsider-note-1");
        var replayed = await outsider.SendAsync(replay);
        replayed.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        (await replayed.ShouldBeProblem(HttpStatusCode.Forbidden)).RuleIds().ShouldBe([RuleIds.NeedToKnow]);
        (await c.EventCount()).ShouldBe(version);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var refused = log["items"]!.AsArray().Where(e => e!["subject"]!.GetValue<string>() == "officer-outside").ToList();
        refused.Count.ShouldBe(4, "every refused command is in the access log");
        refused.ShouldAllBe(e => e!["how"]!.GetValue<string>() == "Refused" && e["status"]!.GetValue<int>() == 403
                                 && e["route"]!.GetValue<string>() == "POST /api/v1/cases/{id}/notes");
    }

    [Fact]
    public async Task RESTRICTION_OWNERS_the_auditors_break_glass_list_and_ledger_proofs_log_the_cases_they_show()
    {
        var (c, _, _, _) = await RestrictedWithInsider();
        var auditor = api.ClientAs("auditor-proofs", Roles.Auditor);
        await auditor.GetAsync("/api/v1/audit/break-glass?limit=200").ShouldBe(HttpStatusCode.OK);
        var checkpoint = await (await auditor.PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK)).Json();
        var size = checkpoint["treeSize"]!.GetValue<long>();
        await auditor.GetAsync($"/api/v1/audit/proofs/inclusion?caseId={c.Id}&version=1&treeSize={size}").ShouldBe(HttpStatusCode.OK);

        var log = await (await Auditor.GetAsync($"/api/v1/audit/access?caseId={c.Id}&limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var routes = log["items"]!.AsArray().Where(e => e!["subject"]!.GetValue<string>() == "auditor-proofs").Select(e => e!["route"]!.GetValue<string>()).ToList();
        routes.ShouldBe(["GET /api/v1/audit/proofs/inclusion", "GET /api/v1/audit/break-glass"]);
    }

    [Fact]
    public async Task NEED_TO_KNOW_history_is_404_when_the_case_document_is_missing_though_events_exist()
    {
        var c = await CaseApi.Open(api);
        await using (var session = api.Store.LightweightSession())
        {
            session.Delete<Api.Infrastructure.Persistence.CaseStream>(c.Id);
            await session.SaveChangesAsync();
        }
        (await c.EventCount()).ShouldBe(1);
        await (await c.Lead1.GetAsync($"{c.Url}/history")).ShouldBeProblem(HttpStatusCode.NotFound);
    }
}
