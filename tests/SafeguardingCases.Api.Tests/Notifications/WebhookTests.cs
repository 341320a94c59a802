using System.Net;
using System.Text.Json.Nodes;
using NodaTime;
using SafeguardingCases.Api.Features.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using static SafeguardingCases.Api.Tests.Infrastructure.CaseApi;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>Webhooks for other systems, delivered to a real HTTP receiver that checks every signature as the specification says.</summary>
public sealed class WebhookTests(WebhookTests.HookedApi api) : IClassFixture<WebhookTests.HookedApi>
{
    private HttpClient Lead => api.ClientAs("lead-1", Roles.SafeguardingLead);

    private static string Type(TestWebhookReceiver.Received r) => JsonNode.Parse(r.Body)!["type"]!.GetValue<string>();

    private static Guid CaseOf(TestWebhookReceiver.Received r) => JsonNode.Parse(r.Body)!["data"]!["caseId"]!.GetValue<Guid>();

    [Fact]
    public async Task Every_event_is_delivered_signed_retried_after_a_500_with_the_same_id_and_carries_nothing_about_a_person()
    {
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var registered = await (await Lead.PostJson("/api/v1/webhooks", new
        {
            url = receiver.Url,
            events = new[] { "ObligationDueSoon", "ObligationOverdue", "ObligationEscalated", "EscalationMade", "CaseClosed" },
        }).ShouldBe(HttpStatusCode.Created)).Json();
        var webhookId = registered["webhookId"]!.GetValue<Guid>();
        var secret = registered["secret"]!.GetValue<string>();
        secret.ShouldStartWith("whsec_");
        Convert.FromBase64String(secret["whsec_".Length..]).Length.ShouldBe(32);
        receiver.Secrets.Add(secret);
        var listed = await (await Lead.GetAsync("/api/v1/webhooks").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        listed.ShouldContain(receiver.Url);
        listed.ShouldNotContain(secret);

        // The escalation: its delivery fails once (500), and is delivered on the retry with the same webhook-id.
        var c = await CaseApi.Open(api, ageYears: 15);
        receiver.FailNext(1, body => body.Contains("EscalationMade", StringComparison.Ordinal) && body.Contains(c.Id.ToString(), StringComparison.Ordinal));
        await c.Officer.PutJson($"{c.Url}/allocation", new { subject = "officer-1", name = "Officer One", email = "officer-1@example.org" }).ShouldBe(HttpStatusCode.OK);
        var d = await c.Disclosure(Concern("Physical"));
        var a = await c.Assessment(Assessment("service-user", "None", "NonEmergency", "Physical"));
        await c.SafetyPlan("NotPossible");
        await c.Escalation(EscalationBody("NonEmergency", "Police101", a, [d]));
        var first = (await receiver.WaitForAsync(r => Type(r) == "EscalationMade" && CaseOf(r) == c.Id, 1)).Single();
        first.Answered.ShouldBe(500);
        api.Clock.Advance(Duration.FromSeconds(2));
        var both = await receiver.WaitForAsync(r => Type(r) == "EscalationMade" && CaseOf(r) == c.Id, 2);
        both.Count.ShouldBe(2);
        both[1].Id.ShouldBe(first.Id, "a retried delivery keeps its webhook-id");
        both[1].Answered.ShouldBe(200);

        // The notice's deadline: due soon, overdue, and up the ladder.
        var view = await c.View();
        var dueBy = NodaTime.Text.InstantPattern.ExtendedIso.Parse(view["outstandingObligations"]!.AsArray()
            .Single(o => o!["type"]!.GetValue<string>() == "TransparencyNoticeDue")!["dueBy"]!.GetValue<string>()).Value;
        api.Clock.Reset(dueBy - Duration.FromMinutes(30));
        await receiver.WaitForAsync(r => Type(r) == "ObligationDueSoon" && CaseOf(r) == c.Id && Body(r)["data"]!["obligation"]!.GetValue<string>() == "TransparencyNoticeDue", 1);
        api.Clock.Reset(dueBy + Duration.FromMinutes(1));
        await receiver.WaitForAsync(r => Type(r) == "ObligationOverdue" && CaseOf(r) == c.Id && Body(r)["data"]!["obligation"]!.GetValue<string>() == "TransparencyNoticeDue", 1);
        // Rotated before the ladder: that delivery is signed with both secrets.
        var rotated = (await (await Lead.PostJson($"/api/v1/webhooks/{webhookId}/secret", new { }).ShouldBe(HttpStatusCode.OK)).Json())["secret"]!.GetValue<string>();
        rotated.ShouldNotBe(secret);
        receiver.Secrets.Add(rotated);
        api.Clock.Reset(dueBy + Duration.FromMinutes(62));
        var ladder = (await receiver.WaitForAsync(r => Type(r) == "ObligationEscalated" && CaseOf(r) == c.Id, 1)).Single();
        receiver.SignedWith(ladder).ShouldBe([secret, rotated], ignoreOrder: true);

        // Closing a case with nothing owed.
        var closing = await CaseApi.Open(api);
        await closing.Close().ShouldBe(HttpStatusCode.OK);
        await receiver.WaitForAsync(r => Type(r) == "CaseClosed" && CaseOf(r) == closing.Id, 1, seconds: 20);

        var all = receiver.Deliveries.Where(r => CaseOf(r) == c.Id || CaseOf(r) == closing.Id).ToList();
        foreach (var delivery in all)
        {
            receiver.SignedWith(delivery).ShouldNotBeEmpty($"{Type(delivery)} is signed with a secret of the endpoint");
            Body(delivery)["data"]!["link"]!.GetValue<string>().ShouldEndWith($"/cases/{CaseOf(delivery)}");
            foreach (var recorded in new[] { "post-123", "handle-9", "A worrying post", "What the user said", "post-77", "Clinical rationale", "Officer One" })
                delivery.Body.ShouldNotContain(recorded);
        }
        // One delivery per event per endpoint (the escalation's two attempts are one delivery).
        all.Where(r => CaseOf(r) == c.Id).GroupBy(r => r.Id).Select(g => Type(g.First())).Where(t => t != "ObligationDueSoon" && t != "ObligationOverdue")
            .Order().ShouldBe(["EscalationMade", "ObligationEscalated"]);

        // The deliveries are listed, and one is delivered again on request with the same webhook-id.
        var deliveries = await (await Lead.GetAsync($"/api/v1/webhooks/{webhookId}/deliveries?limit=200").ShouldBe(HttpStatusCode.OK)).Json();
        var escalationDelivery = deliveries["items"]!.AsArray().Single(i => i!["webhookMessageId"]!.GetValue<string>() == first.Id)!;
        escalationDelivery["attempts"]!.GetValue<int>().ShouldBe(2);
        escalationDelivery["deliveredAt"].ShouldNotBeNull();
        var redelivery = $"/api/v1/webhooks/{webhookId}/deliveries/{escalationDelivery["deliveryId"]!.GetValue<Guid>()}/redelivery";
        var asked = await (await Lead.PostJson(redelivery, new { }, idempotencyKey: "again-1").ShouldBe(HttpStatusCode.OK)).Json();
        (await receiver.WaitForAsync(r => r.Id == first.Id, 3)).Count.ShouldBe(3);
        // Asked again with the same key (a retry after a lost answer): the first answer, and no third delivery.
        var repeated = await Lead.PostJson(redelivery, new { }, idempotencyKey: "again-1").ShouldBe(HttpStatusCode.OK);
        repeated.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await repeated.Json()).ToJsonString().ShouldBe(asked.ToJsonString());
        await Task.Delay(1000);
        receiver.Deliveries.Count(r => r.Id == first.Id).ShouldBe(3);
    }

    [Fact]
    public async Task Only_leads_register_webhooks_and_bad_registrations_are_400()
    {
        (await api.ClientAs("officer-1", Roles.SafeguardingOfficer).PostJson("/api/v1/webhooks", new { url = "https://example.org/hook", events = new[] { "CaseClosed" } }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await Lead.PostJson("/api/v1/webhooks", new { url = "ftp://example.org/hook", events = new[] { "CaseClosed" } })).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Lead.PostJson("/api/v1/webhooks", new { url = "https://user:pw@example.org/hook", events = new[] { "CaseClosed" } })).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Lead.PostJson("/api/v1/webhooks", new { url = "https://example.org/hook", events = Array.Empty<string>() })).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Lead.SendJson(HttpMethod.Post, "/api/v1/webhooks", """{"url":"https://example.org/hook","events":["Gossip"]}""")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await Lead.PostJson($"/api/v1/webhooks/{Guid.NewGuid()}/secret", new { })).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await Lead.GetAsync($"/api/v1/webhooks/{Guid.NewGuid()}/deliveries")).ShouldBeProblem(HttpStatusCode.NotFound);
        var id = (await (await Lead.PostJson("/api/v1/webhooks", new { url = "https://example.org/hook", events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["webhookId"]!.GetValue<Guid>();
        (await (await Lead.SendJson(HttpMethod.Delete, $"/api/v1/webhooks/{id}", "").ShouldBe(HttpStatusCode.OK)).Json())["webhookId"]!.GetValue<Guid>().ShouldBe(id);
        await (await Lead.DeleteAsync($"/api/v1/webhooks/{id}")).ShouldBeProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_registration_or_a_rotation_sent_again_with_its_Idempotency_Key_is_the_first_one_never_a_second()
    {
        var url = $"https://example.org/hook-{Guid.NewGuid():N}";
        var body = new { url, events = new[] { "CaseClosed" } };
        var first = await Lead.PostJson("/api/v1/webhooks", body, idempotencyKey: "register-1").ShouldBe(HttpStatusCode.Created);
        var again = await Lead.PostJson("/api/v1/webhooks", body, idempotencyKey: "register-1").ShouldBe(HttpStatusCode.Created);
        again.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        var (one, two) = (await first.Json(), await again.Json());
        two["webhookId"]!.GetValue<Guid>().ShouldBe(one["webhookId"]!.GetValue<Guid>());
        two["secret"]!.GetValue<string>().ShouldBe(one["secret"]!.GetValue<string>());
        await (await Lead.PostJson("/api/v1/webhooks", new { url, events = new[] { "EscalationMade" } }, idempotencyKey: "register-1"))
            .ShouldBeProblem((HttpStatusCode)422);
        // Racing: five at once with one key make one endpoint, and all five answer it.
        var raced = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Lead.PostJson("/api/v1/webhooks", body, idempotencyKey: "register-2")));
        raced.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);
        var racedIds = await Task.WhenAll(raced.Select(async r => (await r.Json())["webhookId"]!.GetValue<Guid>()));
        racedIds.Distinct().Count().ShouldBe(1);
        var listed = (await (await Lead.GetAsync("/api/v1/webhooks").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray()
            .Where(w => w!["url"]!.GetValue<string>() == url).ToList();
        listed.Count.ShouldBe(2, "register-1 and register-2, once each");

        // A rotation retried gives the secret the first one made; the endpoint then signs with it and the original only.
        var id = one["webhookId"]!.GetValue<Guid>();
        var rotated = await (await Lead.PostJson($"/api/v1/webhooks/{id}/secret", new { }, idempotencyKey: "rotate-1").ShouldBe(HttpStatusCode.OK)).Json();
        var rotatedAgain = await (await Lead.PostJson($"/api/v1/webhooks/{id}/secret", new { }, idempotencyKey: "rotate-1").ShouldBe(HttpStatusCode.OK)).Json();
        rotatedAgain["secret"]!.GetValue<string>().ShouldBe(rotated["secret"]!.GetValue<string>());
        await using var session = api.Store.QuerySession();
        var stored = await session.LoadAsync<WebhookEndpoint>(id);
        stored!.Secrets.Select(x => x.Secret).ShouldBe([rotated["secret"]!.GetValue<string>(), one["secret"]!.GetValue<string>()], ignoreOrder: true);
        (await (await Lead.PostJson($"/api/v1/webhooks/{id}/secret", new { }, idempotencyKey: "rotate-2").ShouldBe(HttpStatusCode.OK)).Json())["secret"]!
            .GetValue<string>().ShouldNotBe(rotated["secret"]!.GetValue<string>(), "a new key is a new rotation");
        var other = racedIds[0];
        await (await Lead.PostJson($"/api/v1/webhooks/{other}/secret", new { }, idempotencyKey: "rotate-1")).ShouldBeProblem((HttpStatusCode)422);

        // Removed, so no other test's events are queued for addresses nothing here answers.
        foreach (var made in new[] { one["webhookId"]!.GetValue<Guid>(), racedIds[0] })
            await Lead.SendJson(HttpMethod.Delete, $"/api/v1/webhooks/{made}", "").ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("169.254.169.254", true)]
    [InlineData("169.254.1.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("::", true)]
    [InlineData("fe80::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("::ffff:169.254.169.254", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("192.168.0.10", false)]
    [InlineData("93.184.216.34", false)]
    [InlineData("::1", false)]
    [InlineData("2001:db8::1", false)]
    public void No_delivery_goes_to_a_link_local_unspecified_or_multicast_address(string address, bool refused) =>
        WebhookAddresses.IsRefused(System.Net.IPAddress.Parse(address)).ShouldBe(refused);

    [Fact]
    public async Task A_webhook_to_a_cloud_metadata_address_is_refused_at_registration_and_never_delivered_to()
    {
        foreach (var url in new[] { "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/hook", "https://0.0.0.0/hook" })
        {
            var problem = await (await Lead.PostJson("/api/v1/webhooks", new { url, events = new[] { "CaseClosed" } })).ShouldBeProblem(HttpStatusCode.BadRequest);
            problem.ToJsonString().ShouldContain("link-local", Case.Sensitive, url);
        }
        var onPrivateNetwork = (await (await Lead.PostJson("/api/v1/webhooks", new { url = "http://10.20.30.40/rota", events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["webhookId"]!.GetValue<Guid>();
        // (Nothing listens there: deleted before any delivery would wait for it.)
        await Lead.DeleteAsync($"/api/v1/webhooks/{onPrivateNetwork}").ShouldBe(HttpStatusCode.OK);

        // One stored before the rule (or pointing there some other way): its deliveries connect nowhere and are given up at once.
        var endpoint = await StoredEndpointAsync("http://169.254.169.254/latest/meta-data");
        var closing = await CaseApi.Open(api);
        await closing.Close().ShouldBe(HttpStatusCode.OK);
        JsonNode? delivery = null;
        for (var i = 0; i < 100 && delivery?["gaveUp"]?.GetValue<bool>() != true; i++)
        {
            await Task.Delay(100);
            var list = await (await Lead.GetAsync($"/api/v1/webhooks/{endpoint.Id}/deliveries").ShouldBe(HttpStatusCode.OK)).Json();
            delivery = list["items"]!.AsArray().FirstOrDefault();
        }
        delivery.ShouldNotBeNull();
        delivery["lastError"]!.GetValue<string>().ShouldBe(nameof(WebhookAddressRefusedException));
        delivery["attempts"]!.GetValue<int>().ShouldBe(1);
        delivery["gaveUp"]!.GetValue<bool>().ShouldBeTrue();
        await Lead.DeleteAsync($"/api/v1/webhooks/{endpoint.Id}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_event_whose_commit_lands_late_is_delivered_however_many_events_went_past_it()
    {
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var registered = await (await Lead.PostJson("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json();
        receiver.Secrets.Add(registered["secret"]!.GetValue<string>());
        var closed = await CaseApi.Open(api);
        await closed.Close().ShouldBe(HttpStatusCode.OK);
        await receiver.WaitForAsync(r => CaseOf(r) == closed.Id, 1);

        // Another case's close takes its sequence number and does not commit yet (a slow transaction, a stalled writer).
        var late = (await CaseApi.Open(api)).Id;
        await using var slow = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await slow.OpenAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var take = new Npgsql.NpgsqlCommand(
                         "insert into mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers) " +
                         "select nextval('mt_events_sequence'), gen_random_uuid(), @late, 99, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers " +
                         "from mt_events where stream_id = @closed and type = 'case_closed'", slow, transaction))
        {
            take.Parameters.AddWithValue("late", late);
            take.Parameters.AddWithValue("closed", closed.Id);
            (await take.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        // Meanwhile far more events than any fixed look-back commit after it, and the feed sweeps (every 0.1 s) past them.
        await using (var others = new Npgsql.NpgsqlConnection(api.ConnectionString))
        {
            await others.OpenAsync();
            await using var burst = new Npgsql.NpgsqlCommand(
                "insert into mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers) " +
                "select nextval('mt_events_sequence'), gen_random_uuid(), @closed, 1000 + n, data, 'note_added', tenant_id, timestamp, mt_dotnet_type, is_archived, headers " +
                "from mt_events, generate_series(1, 2500) n where stream_id = @closed and version = 1", others);
            burst.Parameters.AddWithValue("closed", closed.Id);
            (await burst.ExecuteNonQueryAsync()).ShouldBe(2500);
        }
        await Task.Delay(1000);
        receiver.Deliveries.ShouldNotContain(r => CaseOf(r) == late, "not committed yet");

        api.Services.GetRequiredService<CaseEventFeed>().GapsRemembered.ShouldBeGreaterThan(0, "the feed waits at the uncommitted number");

        await transaction.CommitAsync();
        (await receiver.WaitForAsync(r => CaseOf(r) == late, 1, seconds: 20)).Single().Answered.ShouldBe(200);
        // Past the gap the late commit filled, the feed forgets it (else every filled gap would stay in memory for good).
        var feed = api.Services.GetRequiredService<CaseEventFeed>();
        for (var i = 0; i < 50 && feed.GapsRemembered > 0; i++) await Task.Delay(100);
        feed.GapsRemembered.ShouldBe(0);
        await Lead.DeleteAsync($"/api/v1/webhooks/{registered["webhookId"]!.GetValue<Guid>()}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_endpoint_registered_after_an_event_is_not_sent_it()
    {
        var before = await CaseApi.Open(api);
        await before.Close().ShouldBe(HttpStatusCode.OK);
        await Task.Delay(300);
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var registered = await (await Lead.PostJson("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json();
        receiver.Secrets.Add(registered["secret"]!.GetValue<string>());
        var after = await CaseApi.Open(api);
        await after.Close().ShouldBe(HttpStatusCode.OK);
        await receiver.WaitForAsync(r => CaseOf(r) == after.Id, 1, seconds: 20);
        await Task.Delay(500);
        receiver.Deliveries.ShouldNotContain(r => CaseOf(r) == before.Id, "the feed re-reads recent events for late commits, not to replay them");
        await Lead.DeleteAsync($"/api/v1/webhooks/{registered["webhookId"]!.GetValue<Guid>()}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_delivery_that_cannot_even_be_sent_fails_alone_and_the_others_are_delivered_once()
    {
        await using var receiver = await TestWebhookReceiver.StartAsync();
        var good = (await (await Lead.PostJson("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json());
        receiver.Secrets.Add(good["secret"]!.GetValue<string>());
        // An endpoint whose address no longer parses (stored before a validation rule, or by hand).
        var broken = await StoredEndpointAsync("http://exa mple.org/hook");

        var closing = await CaseApi.Open(api);
        await closing.Close().ShouldBe(HttpStatusCode.OK);
        await receiver.WaitForAsync(r => CaseOf(r) == closing.Id, 1, seconds: 20);
        await Task.Delay(3000);
        receiver.Deliveries.Count(r => CaseOf(r) == closing.Id).ShouldBe(1, "delivered once, not again with every retry of its batch");
        var failed = (await (await Lead.GetAsync($"/api/v1/webhooks/{broken.Id}/deliveries").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray().Single()!;
        failed["lastError"]!.GetValue<string>().ShouldBe(nameof(UriFormatException));
        failed["nextAttemptAt"].ShouldNotBeNull("tried again later, on its own");
        await Lead.DeleteAsync($"/api/v1/webhooks/{broken.Id}").ShouldBe(HttpStatusCode.OK);
        await Lead.DeleteAsync($"/api/v1/webhooks/{good["webhookId"]!.GetValue<Guid>()}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_holds_up_no_other_endpoints_deliveries()
    {
        await using var silent = await TestWebhookReceiver.StartAsync();
        await using var good = await TestWebhookReceiver.StartAsync();
        silent.Hold();
        var silentId = (await (await Lead.PostJson("/api/v1/webhooks", new { url = silent.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["webhookId"]!.GetValue<Guid>();
        var goodId = (await (await Lead.PostJson("/api/v1/webhooks", new { url = good.Url, events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["webhookId"]!.GetValue<Guid>();
        try
        {
            var first = await CaseApi.Open(api);
            await first.Close().ShouldBe(HttpStatusCode.OK);
            for (var i = 0; i < 200 && silent.Held == 0; i++) await Task.Delay(50);
            silent.Held.ShouldBe(1, "the silent endpoint has the first case's delivery and is not answering");

            // Delivered to the other endpoint while the silent one's first delivery is still out, unanswered: its batch
            // has not even written its attempt yet.
            var second = await CaseApi.Open(api);
            await second.Close().ShouldBe(HttpStatusCode.OK);
            (await good.WaitForAsync(r => CaseOf(r) == second.Id, 1, seconds: 30)).Count.ShouldBe(1);
            var stuck = (await (await Lead.GetAsync($"/api/v1/webhooks/{silentId}/deliveries").ShouldBe(HttpStatusCode.OK)).Json())["items"]!.AsArray();
            stuck.ShouldContain(d => d!["attempts"]!.GetValue<int>() == 0 && d["deliveredAt"] == null, stuck.ToJsonString());
            silent.Held.ShouldBeGreaterThan(0);

            // Once it answers, it has every delivery, each once.
            silent.Release();
            (await silent.WaitForAsync(r => CaseOf(r) == first.Id || CaseOf(r) == second.Id, 2)).Select(CaseOf).Order()
                .ShouldBe(new[] { first.Id, second.Id }.Order());
        }
        finally
        {
            silent.Release();
            await Lead.DeleteAsync($"/api/v1/webhooks/{silentId}").ShouldBe(HttpStatusCode.OK);
            await Lead.DeleteAsync($"/api/v1/webhooks/{goodId}").ShouldBe(HttpStatusCode.OK);
        }
    }

    /// <summary>An endpoint for CaseClosed stored as it is, past the registration's validation (as one stored before a rule).</summary>
    private async Task<WebhookEndpoint> StoredEndpointAsync(string url)
    {
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.CreateVersion7(), Url = url, Events = [WebhookEvent.CaseClosed],
            Secrets = [new WebhookSecret(WebhookEndpoint.NewSecret(), api.Clock.GetCurrentInstant(), null)], CreatedBy = "lead-1",
            CreatedAt = api.Clock.GetCurrentInstant(),
        };
        await using var session = api.Store.LightweightSession();
        session.Store(endpoint);
        await session.SaveChangesAsync();
        return endpoint;
    }

    private static JsonNode Body(TestWebhookReceiver.Received r) => JsonNode.Parse(r.Body)!;

    public sealed class HookedApi : ApiFactory
    {
        /// <summary>
        /// The sender waits a minute for an answer here, not 10 s, so the silent endpoint's first delivery is certainly
        /// still out while the other endpoint's is checked (any time up to half a minute later).
        /// </summary>
        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddHttpClient(WebhookSender.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(1)));
        }

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Notifications:SweepInterval"] = "PT0.1S",
            ["Notifications:ConsoleUrl"] = "https://console.example.org",
        };
    }
}
