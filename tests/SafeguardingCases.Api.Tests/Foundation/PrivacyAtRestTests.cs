using Microsoft.Extensions.DependencyInjection;
using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// PRIVACY-AT-REST: a dump of the database (pg_dump) holds none of what was recorded about a person; the API shows it to
/// those allowed to read the case, in the case, the list, the history and a remembered answer; the chain still holds.
/// </summary>
public sealed class PrivacyAtRestTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    /// <summary>A key ring of its own over the API's database, with the key-encryption key the API uses in the tests.</summary>
    private Api.Infrastructure.Privacy.CaseKeyRing Ring(int keysHeld = Api.Infrastructure.Privacy.CaseKeyRing.KeysHeld) => new(
        Api.Infrastructure.Privacy.CaseKeyRing.LoadKeyEncryptionKey(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), new SealedValues.TestingHost()),
        api.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), keysHeld: keysHeld);

    [Fact]
    public async Task An_instance_holds_a_bounded_number_of_data_keys_and_reads_back_one_it_let_go()
    {
        var cases = new List<CaseApi>();
        for (var i = 0; i < 4; i++) cases.Add(await CaseApi.Open(api));
        // A key ring of the API's own key-encryption key that holds two keys at most.
        using var ring = Ring(keysHeld: 2);
        var first = ring.Find(cases[0].Id);
        first.ShouldNotBeNull();
        foreach (var c in cases) ring.Find(c.Id).ShouldNotBeNull($"case {c.Id}'s key");
        ring.Held.ShouldBeLessThanOrEqualTo(2, "no more keys in memory than it may hold");
        // One let go is read back from PostgreSQL when next needed: the same key.
        ring.Find(cases[0].Id).ShouldBe(first);
        ring.Held.ShouldBeLessThanOrEqualTo(2);
    }

    [Fact]
    public async Task Keys_prepared_in_one_query_are_then_found_without_asking_PostgreSQL_again()
    {
        var cases = new List<CaseApi>();
        for (var i = 0; i < 3; i++) cases.Add(await CaseApi.Open(api));
        using var ring = Ring();
        // Three cases' keys and one case that has none, in one query.
        await ring.PrepareAsync([.. cases.Select(c => c.Id), Guid.NewGuid()], CancellationToken.None);
        ring.Held.ShouldBe(3);
        var db = api.Services.GetRequiredService<Npgsql.NpgsqlDataSource>();
        await using (var away = db.CreateCommand("alter table public.mt_doc_casekey rename to mt_doc_casekey_away")) await away.ExecuteNonQueryAsync();
        try
        {
            // With the keys' table gone, a key asked of PostgreSQL would be none: each is found in memory.
            foreach (var c in cases) ring.Find(c.Id).ShouldNotBeNull($"case {c.Id}'s key, prepared");
            ring.Find(Guid.NewGuid()).ShouldBeNull("one not prepared is asked for, and there is no table to answer");
        }
        finally
        {
            await using var back = db.CreateCommand("alter table public.mt_doc_casekey_away rename to mt_doc_casekey");
            await back.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// A list learns its cases from its rows, a case read or written from its route, an opening its new id: each reads the keys it does not hold fresh
    /// (after a restart, or a minute on) in one awaited query before opening anything, not one blocking query per row
    /// from inside the serializer (a page of 50 rows was 50 round trips, each holding a thread).
    /// </summary>
    [Fact]
    public async Task Opening_the_list_and_a_case_read_their_keys_before_the_rows_and_never_one_by_one_from_the_serializer()
    {
        var officer = api.ClientFor(Roles.SafeguardingOfficer);
        var ring = api.Services.GetRequiredService<Api.Infrastructure.Privacy.CaseKeyRing>();
        var ids = new List<Guid>();
        // Opening a case asks whether its new id has a key already in an awaited query, not a blocking one.
        var beforeOpening = ring.BlockingReads;
        for (var i = 0; i < 3; i++)
        {
            var opened = await (await officer.PostJson("/api/v1/cases", new
            {
                channel = "Chat", sourceReference = $"chat-Keyprep-{i}", serviceUser = new { reference = $"user-Keyprep-{i}", ageYears = 15 },
                summary = $"Keyprep summary {i}",
            }).ShouldBe(HttpStatusCode.Created)).Json();
            ids.Add(opened["id"]!.GetValue<Guid>());
        }
        ring.BlockingReads.ShouldBe(beforeOpening, "opening a case reads no key on a blocked thread");
        // As after a restart: the API holds none of their keys.
        foreach (var id in ids) ring.Forget(id);
        var blocking = ring.BlockingReads;

        var list = await (await officer.GetAsync("/api/v1/cases?limit=50").ShouldBe(HttpStatusCode.OK)).Json();
        var rows = list["items"]!.AsArray().Where(r => ids.Contains(r!["id"]!.GetValue<Guid>())).ToList();
        rows.Count.ShouldBe(3);
        foreach (var row in rows)
        {
            var i = ids.IndexOf(row!["id"]!.GetValue<Guid>());
            row["sourceReference"]!.GetValue<string>().ShouldBe($"chat-Keyprep-{i}");
            row["summary"]!.GetValue<string>().ShouldBe($"Keyprep summary {i}");
        }
        foreach (var id in ids) ring.Forget(id);
        foreach (var id in ids)
            (await (await officer.GetAsync($"/api/v1/cases/{id}").ShouldBe(HttpStatusCode.OK)).Json())["summary"]!.GetValue<string>().ShouldStartWith("Keyprep summary");
        // A command on a case this process neither remembers nor holds the key of (as after a restart): the key is read
        // before the case, whose sealed texts it opens.
        var appends = api.Services.GetRequiredService<Api.Infrastructure.Persistence.CaseAppendQueue>();
        foreach (var id in ids)
        {
            ring.Forget(id);
            appends.Forget(id);
            await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "Keyprep note" }).ShouldBe(HttpStatusCode.Created);
        }
        ring.BlockingReads.ShouldBe(blocking, "no key read one by one from inside the serializer");
        // And operators see the same count as a metric, from this instance's meter.
        var factory = api.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        long? observed = null;
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == "safeguarding.privacy.blocking_key_reads") listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((_, value, _, _) => observed = value);
        meters.Start();
        meters.RecordObservableInstruments();
        observed.ShouldBe(ring.BlockingReads);
    }

    /// <summary>
    /// The auditors' lists read their rows with personal texts left sealed and open them row by row: a row type with a
    /// personal text (nested ones too) that does not open it would show ciphertext. Every such type opens its own.
    /// </summary>
    [Fact]
    public void Every_auditors_row_with_personal_texts_opens_them()
    {
        static bool Personal(Type type, int depth = 0) => depth < 3 && type.GetProperties().Any(p =>
            p.IsDefined(typeof(PersonalAttribute), true)
            || (p.PropertyType.IsGenericType && p.PropertyType.GetGenericArguments().Any(a => a.Assembly == typeof(Api.Features.Audit.IAuditRow).Assembly && Personal(a, depth + 1))));
        var rows = typeof(Api.Features.Audit.IAuditRow).Assembly.GetTypes()
            .Where(t => t.IsClass && typeof(Api.Features.Audit.IAuditRow).IsAssignableFrom(t)).ToList();
        rows.Count.ShouldBeGreaterThanOrEqualTo(3);
        foreach (var row in rows.Where(t => Personal(t)))
            row.GetMethod(nameof(Api.Features.Audit.IAuditRow.Open)).ShouldNotBeNull($"{row.Name} has personal texts and must open them");
    }

    [Fact]
    public async Task PRIVACY_AT_REST_a_database_dump_holds_no_recorded_text_and_the_api_shows_it_to_those_allowed()
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var opened = await (await officer.PostJson("/api/v1/cases", new
        {
            channel = "Chat", sourceReference = "chat-Zephyrine-77",
            serviceUser = new { reference = "user-Quillonby", dateOfBirth = "2011-07-23" },
            summary = "Marisol Featherstonehaugh says her stepfather hits her",
        }).ShouldBe(HttpStatusCode.Created)).Json();
        var c = CaseApi.For(api, opened["id"]!.GetValue<Guid>());
        await c.Officer.PostJson($"{c.Url}/notes", new { text = "Called Marisol at Wrexingham Lane" }, idempotencyKey: "privacy-note").ShouldBe(HttpStatusCode.Created);
        await c.Officer.PostJson($"{c.Url}/persons", new { reference = "sibling-Orvalda", description = "Younger sister Orvalda", ageYears = 9 }).ShouldBe(HttpStatusCode.Created);
        await c.Officer.PutJson($"{c.Url}/allocation", new { subject = "officer-1", name = "Officer Brannigan-Oyelaran", email = "brannigan.oyelaran@example.org" }).ShouldBe(HttpStatusCode.OK);
        await c.Lead1.PutJson($"{c.Url}/legal-hold", new { reason = "Held for the Thistlewaite inquiry" }).ShouldBe(HttpStatusCode.OK);
        string[] recorded = ["Zephyrine", "Quillonby", "2011-07-23", "Featherstonehaugh", "Wrexingham", "Orvalda", "Brannigan", "brannigan.oyelaran", "Thistlewaite"];

        var dump = await DumpAsync();
        dump.Length.ShouldBeGreaterThan(10_000, "the dump holds the database");
        dump.ShouldContain(c.Id.ToString(), Case.Sensitive, "the dump holds the case");
        foreach (var text in recorded) dump.ShouldNotContain(text, Case.Sensitive, $"'{text}' is stored in the clear");

        var view = (await c.View()).ToJsonString();
        // (The case view counts notes; the history shows them.)
        foreach (var text in recorded.Where(t => t != "Wrexingham")) view.ShouldContain(text);
        var history = await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        history.ShouldContain("Called Marisol at Wrexingham Lane");
        history.ShouldContain("2011-07-23");
        var list = await (await c.Officer.GetAsync("/api/v1/cases?limit=200").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync();
        list.ShouldContain("chat-Zephyrine-77");
        var replay = await c.Officer.PostJson($"{c.Url}/notes", new { text = "Called Marisol at Wrexingham Lane" }, idempotencyKey: "privacy-note").ShouldBe(HttpStatusCode.Created);
        replay.Headers.GetValues("Idempotent-Replayed").ShouldContain("true");
        var integrity = await (await c.Auditor.GetAsync($"{c.Url}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        integrity["valid"]!.GetValue<bool>().ShouldBeTrue("the chain is over what is stored, sealed");
    }

    [Fact]
    public async Task PRIVACY_AT_REST_text_that_looks_sealed_is_sealed_like_any_other_and_reads_back_as_written()
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        // The shape of a sealed value of this very case, with a payload that is not one: written as it was sent, it
        // would be stored in the clear and break every read of the case.
        var lookalike = $"enc:v1:{c.Id:N}:AAAA Ravensworth";
        await c.Officer.PostJson($"{c.Url}/disclosures", new
        {
            disclosedAt = CaseApi.Iso(api.Clock.GetCurrentInstant()), channel = "Chat", sourceReference = "msg-1", summary = lookalike,
            concerns = new[] { new { category = "Physical", status = "Current", personId = "service-user" } },
        }).ShouldBe(HttpStatusCode.Created);
        (await c.View())["disclosures"]![0]!["summary"]!.GetValue<string>().ShouldBe(lookalike);
        (await (await c.Auditor.GetAsync($"{c.Url}/history").ShouldBe(HttpStatusCode.OK)).Content.ReadAsStringAsync()).ShouldContain("Ravensworth");
        (await DumpAsync()).ShouldNotContain("Ravensworth", Case.Sensitive);
    }

    private Task<string> DumpAsync() => PgDump.DumpAsync(api.ConnectionString);
}
