using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Npgsql;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Features.Reports;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Benchmarks;

/// <summary>
/// Reads at scale. Seeds cases straight into the store (events and stream rows with COPY, the case, list and decision
/// documents with Marten's bulk insert, the daily decision counts with one upsert a batch), each case made by the domain's
/// own decide functions, so every row is what the write path would have written: 40% open with notes, 20% waiting for
/// a risk assessment, 10% escalated with the transparency notice due, 30% escalated, told and closed; about 6.9
/// events a case, about 275 cases a day (a million is ten years). At each size it measures every list, queue,
/// report and audit page and a case, policy and history read through the API in process (median and p95 of 25),
/// and the bytes per case.
/// Run: dotnet run -c Release --project tests/SafeguardingCases.Benchmarks -- reads [--sizes 10000,100000,1000000]
/// </summary>
public static class ScaleBenchmark
{
    private const string SigningKey = "benchmark-signing-key-that-is-at-least-32-bytes";
    // A service's ten years: a million cases from December 2016, one every 5 minutes 15 seconds (about 275 a day).
    // The benchmark's policy takes effect before the first case, so every escalation is decided under it.
    private static readonly Instant FirstCase = Instant.FromUtc(2016, 12, 1, 0, 0);
    private static readonly Duration Spacing = Duration.FromSeconds(315);
    private static readonly PolicyOptions Policy = new() { UnifiedPolicyEffectiveFrom = Instant.FromUtc(2016, 1, 1, 0, 0) };

    public static async Task<int> RunAsync(string[] args)
    {
        var i = Array.IndexOf(args, "--sizes");
        var sizes = (i >= 0 ? args[i + 1] : "10000,100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var server = await PostgresServer.GetAsync();
        try
        {
            var connectionString = await server.CreateDatabaseAsync("scalebench");
            await using var db = NpgsqlDataSource.Create(MartenSetup.WithPoolDefaults(connectionString));
            using (var schema = new DocumentStore(MartenSetup.Configure(new StoreOptions(), db)))
                await schema.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            using var store = new DocumentStore(MartenSetup.Configure(new StoreOptions(), db, applySchema: false));

            await using var api = new BenchmarkApi(connectionString);
            var client = api.CreateClient();
            var token = Api.Infrastructure.Auth.DevTokens.Mint(SigningKey, "bench-lead", "Bench Lead",
                [Roles.SafeguardingLead, Roles.Auditor, Roles.SafeguardingOfficer], TimeSpan.FromHours(12));
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var seeded = 0;
            var results = new List<(int Size, string Read, double Median, double P95)>();
            foreach (var size in sizes)
            {
                var clock = Stopwatch.StartNew();
                await SeedAsync(store, db, seeded, size, api.Services.GetRequiredService<Api.Infrastructure.Privacy.CaseKeyRing>().ReferenceIndexKey());
                Console.WriteLine($"seeded cases {seeded:N0} to {size:N0} in {clock.Elapsed.TotalSeconds:F0} s");
                seeded = size;
                clock.Restart();
                await ExecuteAsync(db, "vacuum analyze");
                Console.WriteLine($"vacuum analyze: {clock.Elapsed.TotalSeconds:F0} s; {await BytesPerCaseAsync(db, size):N0} bytes per case");
                foreach (var (read, median, p95) in (await MeasureAsync(client, size)).Concat(await MeasureSweepAsync(api, db)))
                {
                    results.Add((size, read, median, p95));
                    Console.WriteLine($"{size,9:N0} {read,-48} median {median,7:F1} ms  p95 {p95,7:F1} ms");
                }
            }

            await MeasureRetentionAsync(store, db);
            Console.WriteLine();
            Console.WriteLine($"| read | {string.Join(" | ", sizes.Select(s => $"{s:N0}"))} | ratio {sizes[^1]:N0}/{sizes[0]:N0} |");
            Console.WriteLine($"|---|{string.Concat(sizes.Select(_ => "---|"))}---|");
            foreach (var read in results.Select(r => r.Read).Distinct())
            {
                var row = results.Where(r => r.Read == read).ToList();
                Console.WriteLine($"| {read} | {string.Join(" | ", row.Select(r => $"{r.Median:F1} ms"))} | {row[^1].Median / row[0].Median:F2}× |");
            }
            return 0;
        }
        finally
        {
            await PostgresServer.StopAsync();
        }
    }

    private static async Task<List<(string, double, double)>> MeasureAsync(HttpClient client, int size)
    {
        string Iso(Instant at) => NodaTime.Text.InstantPattern.ExtendedIso.Format(at);
        var caseId = CaseId(size - 3); // an escalated, told and closed case (k % 10 == 7)
        var openDeep = await CursorAfterAsync(client, "/api/v1/cases?status=Open&limit=50", 99);
        var auditDeep = await CursorAfterAsync(client, $"/api/v1/audit/escalations?from={Iso(FirstCase)}&limit=50", 20);
        var reads = new (string Name, string Url)[]
        {
            ("GET /cases (page 1)", "/api/v1/cases?limit=50"),
            ("GET /cases?status=Open, 100th page", $"/api/v1/cases?status=Open&limit=50&cursor={openDeep}"),
            ("queue TransparencyNoticeDue", "/api/v1/cases?obligation=TransparencyNoticeDue&limit=50"),
            ("queue RiskAssessmentNeeded", "/api/v1/cases?obligation=RiskAssessmentNeeded&limit=50"),
            // Ranges that start and end mid-day, so both ends are counted decision by decision.
            ("report, 90 days", $"/api/v1/reports/escalations?from={Iso(FirstCase + Duration.FromHours(9))}&to={Iso(FirstCase + Duration.FromDays(90) + Duration.FromHours(15))}"),
            ("report, one year", $"/api/v1/reports/escalations?from={Iso(FirstCase + Duration.FromHours(9))}&to={Iso(FirstCase + Duration.FromDays(365) + Duration.FromHours(15))}"),
            // An auditor's "since the start": every day the store holds, from the aggregate; and an open start.
            ("report, 2024 to 2100", "/api/v1/reports/escalations?from=2024-01-01T00:00:00Z&to=2100-01-01T00:00:00Z"),
            ("report, open start (to=2100)", "/api/v1/reports/escalations?to=2100-01-01T00:00:00Z"),
            ("audit escalations, page 1", $"/api/v1/audit/escalations?from={Iso(FirstCase)}&limit=50"),
            ("audit escalations, page 1 of 10", $"/api/v1/audit/escalations?from={Iso(FirstCase)}&limit=10"),
            ("audit escalations, 21st page", $"/api/v1/audit/escalations?from={Iso(FirstCase)}&limit=50&cursor={auditDeep}"),
            ("audit overrides, page 1", "/api/v1/audit/overrides?limit=50"),
            ("audit overrides, approved, page 1", "/api/v1/audit/overrides?status=Approved&limit=50"),
            // A lead's queue of overrides waiting for a second lead (each checked against its case's list row).
            ("overrides awaiting approval, page 1 (lead)", "/api/v1/overrides/awaiting-approval?limit=50"),
            ("audit access log, page 1", "/api/v1/audit/access?limit=100"),
            ("audit access log, one case", $"/api/v1/audit/access?caseId={caseId}"),
            // A young person's cases by their handle (a POST: the handle in the body), through the GIN index.
            ("search by reference (POST /cases/search)", $"POST /api/v1/cases/search {{\"reference\":\"user-{size - 3}\"}}"),
            ("GET /cases/{id}", $"/api/v1/cases/{caseId}"),
            ("GET /cases/{id}/policy", $"/api/v1/cases/{caseId}/policy"),
            ("GET /cases/{id}/history", $"/api/v1/cases/{caseId}/history"),
            // The duty officers' inbox with its unacknowledged count: what the console's navigation asks on every page.
            ("inbox, page 1 with its count (duty officer)", "/api/v1/notifications?limit=50"),
            ("inbox, count only (the console's navigation)", "/api/v1/notifications?limit=1"),
        };
        var results = new List<(string, double, double)>();
        foreach (var (name, url) in reads)
        {
            // "POST {path} {json}": a read sent as a POST.
            Task<HttpResponseMessage> Read() => url.StartsWith("POST ", StringComparison.Ordinal)
                ? client.PostAsync(url.Split(' ', 3)[1], new StringContent(url.Split(' ', 3)[2], System.Text.Encoding.UTF8, "application/json"))
                : client.GetAsync(url);
            for (var w = 0; w < 3; w++) (await Read()).EnsureSuccessStatusCode();
            // The search is timed finding the case it looks for, not an empty answer.
            if (url.Contains("/search", StringComparison.Ordinal) && !(await (await Read()).Content.ReadAsStringAsync()).Contains("\"id\"", StringComparison.Ordinal))
                throw new InvalidOperationException("The search by reference found no case.");
            var times = new List<double>();
            for (var n = 0; n < 25; n++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await Read();
                await response.Content.ReadAsByteArrayAsync();
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                response.EnsureSuccessStatusCode();
            }
            times.Sort();
            results.Add((name, times[times.Count / 2], times[(int)(times.Count * 0.95)]));
        }
        return results;
    }

    /// <summary>
    /// The deadline sweep at this size (its timer is off in this API: it runs only here): a quiet sweep, every case owing
    /// something looked at already at its current version (what runs every minute once alerts are raised; median and p95
    /// of 5), then one sweep after 500 of the most urgent cases are made new to it (one read of a backlog, each case
    /// alerted). The cases owing something due: 30% of the store (the risk assessments and notices owed).
    /// </summary>
    private static async Task<List<(string, double, double)>> MeasureSweepAsync(BenchmarkApi api, NpgsqlDataSource db)
    {
        var sweep = api.Services.GetRequiredService<DeadlineAlerts>();
        var basis = DeadlineLook.BasisOf(api.Services.GetRequiredService<NotificationOptions>(),
            api.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PolicyOptions>>().Value);
        var due = string.Join(", ", Enum.GetValues<ObligationType>().Select(t => $"d.{CaseSummary.DueColumn(t)}"));
        await ExecuteAsync(db,
            $"insert into public.mt_doc_deadlinelook (id, data, mt_dotnet_type, mt_version, mt_last_modified) " +
            $"select s.id, jsonb_build_object('id', s.id, 'caseVersion', s.version, 'nextLookAtUnixMs', {long.MaxValue}, 'basis', '{basis}'), " +
            $"'{typeof(DeadlineLook).FullName}', gen_random_uuid(), now() from {MartenSetup.StreamsTable} s " +
            $"join {MartenSetup.CaseSummaryTable} d on d.id = s.id where least({due}) is not null " +
            "on conflict (id) do update set data = excluded.data");
        await ExecuteAsync(db, "analyze public.mt_doc_deadlinelook");
        var quiet = new List<double>();
        for (var n = 0; n < 6; n++)
        {
            var started = Stopwatch.GetTimestamp();
            var raised = await sweep.SweepAsync(CancellationToken.None);
            if (n > 0) quiet.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (raised != 0) throw new InvalidOperationException($"A quiet sweep raised {raised} alerts.");
        }
        quiet.Sort();
        // The 500 most urgent as if new: never looked at, never alerted (an earlier size's sweep alerted the same ones).
        var urgent = $"select d.id from {MartenSetup.CaseSummaryTable} d where least({due}) is not null order by least({due}), d.id limit 500";
        await ExecuteAsync(db, $"delete from public.mt_doc_alert where data ->> 'caseId' in (select id::text from ({urgent}) u)");
        await ExecuteAsync(db, $"delete from public.mt_doc_deadlinelook where id in ({urgent})");
        var clock = Stopwatch.StartNew();
        var backlog = await sweep.SweepAsync(CancellationToken.None);
        var read = clock.Elapsed.TotalMilliseconds;
        Console.WriteLine($"deadline sweep: a read of 500 cases new to it raised {backlog} alerts in {read:F0} ms");
        return
        [
            ("deadline sweep, quiet (every case owing something looked at)", quiet[quiet.Count / 2], quiet[^1]),
            ("deadline sweep, 500 cases new to it (each alerted)", read, read),
        ];
    }

    /// <summary>Retention's cleanup: 200,000 access records past retention among the live ones, deleted in one pass.</summary>
    private static async Task MeasureRetentionAsync(DocumentStore store, NpgsqlDataSource db)
    {
        const int Old = 200_000;
        var at = SystemClock.Instance.GetCurrentInstant() - Duration.FromDays(3000);
        await store.BulkInsertAsync(Enumerable.Range(0, Old).Select(n => new Api.Infrastructure.Messaging.CaseAccessRecord
        {
            Id = Guid.NewGuid(), CaseId = CaseId(n), Subject = "officer-1", Name = "Officer", Route = "GET /api/v1/cases/{id}",
            At = at + Duration.FromSeconds(n), AtUnixMs = (at + Duration.FromSeconds(n)).ToUnixTimeMilliseconds(), Found = true, How = "Role", Status = 200,
        }).ToList(), Weasel.Core.BulkInsertMode.InsertsOnly, 10_000);
        await ExecuteAsync(db, "analyze public.mt_doc_caseaccessrecord");
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        var cleanup = new RetentionCleanup(db, SystemClock.Instance, configuration, Microsoft.Extensions.Logging.Abstractions.NullLogger<RetentionCleanup>.Instance);
        var clock = Stopwatch.StartNew();
        var (_, reads) = await cleanup.RunOnceAsync(CancellationToken.None);
        Console.WriteLine($"retention: deleted {reads:N0} access records past retention in {clock.Elapsed.TotalSeconds:F1} s " +
            $"({clock.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, reads):F0} µs a record, batches of {RetentionCleanup.BatchSize:N0})");
    }

    private static async Task<string> CursorAfterAsync(HttpClient client, string url, int pages)
    {
        string? cursor = null;
        for (var p = 0; p < pages; p++)
        {
            var page = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync(url + (cursor is null ? "" : $"&cursor={cursor}")))!;
            cursor = page["next"]?.GetValue<string>() ?? cursor;
        }
        return cursor ?? "";
    }

    private static async Task<long> BytesPerCaseAsync(NpgsqlDataSource db, int cases)
    {
        await using var command = db.CreateCommand(
            "select sum(pg_total_relation_size(c.oid))::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace " +
            "where n.nspname = 'public' and c.relkind = 'r' and c.relname <> 'mt_doc_caseaccessrecord'");
        return (long)(await command.ExecuteScalarAsync())! / cases;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Case ids are derived from the case's number, so a size's measured case is known.</summary>
    private static Guid CaseId(int k) => new($"00000000-0000-4000-8000-{k:D12}");

    private static async Task SeedAsync(DocumentStore store, NpgsqlDataSource db, int from, int to, byte[] referenceIndexKey)
    {
        const int Batch = 20_000;
        long sequence;
        await using (var max = db.CreateCommand($"select coalesce(max(seq_id), 0) from {MartenSetup.EventsTable}"))
            sequence = (long)(await max.ExecuteScalarAsync())!;
        var serializer = store.Options.Serializer();
        for (var start = from; start < to; start += Batch)
        {
            var end = Math.Min(to, start + Batch);
            var made = Enumerable.Range(start, end - start).AsParallel().AsOrdered().Select(Make).ToList();
            await using var connection = await db.OpenConnectionAsync();
            await using (var streams = await connection.BeginBinaryImportAsync(
                $"copy {MartenSetup.StreamsTable} (id, type, version, timestamp, created, tenant_id) from stdin (format binary)"))
            {
                foreach (var c in made)
                {
                    await streams.StartRowAsync();
                    await streams.WriteAsync(c.State.Id);
                    await streams.WriteAsync("case_stream");
                    await streams.WriteAsync(c.State.Version);
                    await streams.WriteAsync(c.State.LastChangedAt.ToDateTimeUtc(), NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    await streams.WriteAsync(c.State.OpenedAt.ToDateTimeUtc(), NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    await streams.WriteAsync("*DEFAULT*");
                }
                await streams.CompleteAsync();
            }
            var heads = new Dictionary<Guid, string>();
            await using (var writer = await connection.BeginBinaryImportAsync(
                $"copy {MartenSetup.EventsTable} (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers) from stdin (format binary)"))
            {
                foreach (var c in made)
                {
                    var previous = EventHashChain.Genesis;
                    for (var v = 0; v < c.Events.Count; v++)
                    {
                        var e = c.Events[v];
                        var type = e.GetType();
                        var json = serializer.ToJson(e);
                        var hash = EventHashChain.Hash(previous, c.State.Id, v + 1, type.Name, json);
                        await writer.StartRowAsync();
                        await writer.WriteAsync(++sequence);
                        await writer.WriteAsync(Guid.NewGuid());
                        await writer.WriteAsync(c.State.Id);
                        await writer.WriteAsync((long)(v + 1));
                        await writer.WriteAsync(json, NpgsqlTypes.NpgsqlDbType.Jsonb);
                        await writer.WriteAsync(SnakeCase(type.Name));
                        await writer.WriteAsync("*DEFAULT*");
                        await writer.WriteAsync(e.At.ToDateTimeUtc(), NpgsqlTypes.NpgsqlDbType.TimestampTz);
                        await writer.WriteAsync($"{type.FullName}, {type.Assembly.GetName().Name}");
                        await writer.WriteAsync(false);
                        await writer.WriteAsync($$"""{"{{EventHashChain.Header}}": "{{hash}}"}""", NpgsqlTypes.NpgsqlDbType.Jsonb);
                        previous = hash;
                    }
                    heads[c.State.Id] = previous;
                }
                await writer.CompleteAsync();
            }
            await store.BulkInsertAsync(made.Select(c => new CaseStream { Id = c.State.Id, State = c.State, ChainHead = heads[c.State.Id] }).ToList(), Weasel.Core.BulkInsertMode.InsertsOnly, 5000);
            // Each row with its reference index values, as the stager writes them (under the benchmark API's index key).
            await store.BulkInsertAsync(made.Select(c =>
            {
                var row = CaseSummary.From(c.State, Policy);
                row.ReferenceIndex = Api.Features.Cases.Search.ReferenceIndex.Of(c.State, referenceIndexKey);
                return row;
            }).ToList(), Weasel.Core.BulkInsertMode.InsertsOnly, 5000);
            var decisions = made.SelectMany(c => c.Events.Select((e, v) => DecisionRecord.From(c.State.Id, v + 1, e))).OfType<DecisionRecord>().ToList();
            if (decisions.Count > 0) await store.BulkInsertAsync(decisions, Weasel.Core.BulkInsertMode.InsertsOnly, 5000);
            var overrides = made.SelectMany(c => c.State.Overrides.Select(o => Api.Features.Audit.Overrides.OverrideAuditRow.From(c.State.Id, o))).ToList();
            if (overrides.Count > 0) await store.BulkInsertAsync(overrides, Weasel.Core.BulkInsertMode.InsertsOnly, 5000);
            var alerts = made.SelectMany(c => AlertsOf(c.State)).ToList();
            if (alerts.Count > 0) await store.BulkInsertAsync(alerts, Weasel.Core.BulkInsertMode.InsertsOnly, 5000);
            foreach (var day in made.SelectMany(c => c.Events).Select(DecisionCounts.Of).OfType<(LocalDate Day, string Route, string AgeGroup)>().GroupBy(x => x))
            {
                await using var upsert = new NpgsqlCommand(
                    $"insert into {DecisionCounts.TableName} (day, route, age_group, count) values ($1, $2, $3, $4) " +
                    $"on conflict (day, route, age_group) do update set count = {DecisionCounts.TableName}.count + excluded.count", connection);
                upsert.Parameters.AddWithValue(day.Key.Day.ToDateOnly());
                upsert.Parameters.AddWithValue(day.Key.Route);
                upsert.Parameters.AddWithValue(day.Key.AgeGroup);
                upsert.Parameters.AddWithValue((long)day.Count());
                await upsert.ExecuteNonQueryAsync();
            }
        }
        await ExecuteAsync(db, $"select setval('public.mt_events_sequence', {sequence})");
    }

    /// <summary>
    /// The alerts the sweep would have raised on an unallocated case (to the duty officers): "due soon" and "overdue" for
    /// each obligation it still owes, never acknowledged (every case owing something here is overdue: 30% of the
    /// store; their ladders settled); a closed case's two, about its notice, acknowledged a day after they were raised.
    /// About 1.2 alerts a case.
    /// </summary>
    private static IEnumerable<Alert> AlertsOf(CaseState state)
    {
        Alert Raised(Obligation o, AlertKind kind, Instant at, bool acknowledged)
        {
            var key = Alert.KeyOf(state.Id, o, kind);
            return new Alert
            {
                Id = key, NotificationId = Alert.NotificationIdOf(key), CaseId = state.Id, Obligation = o.Type, DueBy = o.DueBy, Kind = kind,
                RaisedAt = at, RaisedAtUnixMs = at.ToUnixTimeMilliseconds(), RecipientRole = Roles.SafeguardingOfficer,
                AcknowledgedAt = acknowledged ? at + Duration.FromDays(1) : null, AcknowledgedBy = acknowledged ? "officer-1" : null,
                // Gone up to the leads already (the sweep's own measurement below wants a quiet ladder).
                LadderSettled = true,
            };
        }
        if (state.Status == CaseStatus.Closed)
        {
            var notice = new Obligation(ObligationType.TransparencyNoticeDue, "TRANSPARENCY", state.LastChangedAt - Duration.FromHours(1), CaseState.ServiceUserId, null);
            yield return Raised(notice, AlertKind.DueSoon, notice.DueBy - Duration.FromHours(2), acknowledged: true);
            yield return Raised(notice, AlertKind.Overdue, notice.DueBy, acknowledged: true);
            yield break;
        }
        foreach (var o in PolicyEngine.Obligations(state, Policy))
        {
            yield return Raised(o, AlertKind.DueSoon, o.DueBy - Duration.FromHours(2), acknowledged: false);
            yield return Raised(o, AlertKind.Overdue, o.DueBy, acknowledged: false);
        }
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((ch, i) => char.IsUpper(ch) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(ch) : ch.ToString()));

    private sealed record Made(CaseState State, IReadOnlyList<ICaseEvent> Events);

    /// <summary>Case number k, made by the domain's decide functions at its own time.</summary>
    private static Made Make(int k)
    {
        var officer = new Actor($"officer-{k % 40}", "Officer", [Roles.SafeguardingOfficer]);
        var clinician = new Actor($"clinician-{k % 12}", "Clinician", [Roles.Clinician]);
        var at = FirstCase + Spacing * k;
        var events = new List<ICaseEvent>();
        CaseState? state = null;
        void Run(Func<CaseState?, CommandContext, Decision> decide, Actor by)
        {
            var decision = decide(state, new CommandContext(by, at, Policy));
            if (decision.Refusal is { } refusal) throw new InvalidOperationException($"case {k}: {refusal.Detail}");
            foreach (var e in decision.Events) state = CaseState.Evolve(state, e);
            events.AddRange(decision.Events);
            at += Duration.FromMinutes(7);
        }

        var kind = k % 10;
        var lead = new Actor($"lead-{k % 5}", "Lead", [Roles.SafeguardingLead]);
        var lead2 = new Actor($"lead-{(k + 1) % 5}", "Lead", [Roles.SafeguardingLead]);
        Run((_, ctx) => CaseDecider.Open(new OpenCase(CaseId(k), (Channel)(k % 3), $"post-{k}", $"user-{k}", new Age(kind < 5 ? 15 : 16, null), "A worrying post"), ctx), officer);
        for (var n = 0; n < 2 + k % 3; n++)
            Run((s, ctx) => CaseDecider.Decide(s!, new AddNote(Guid.NewGuid(), "Called the user back; they are safe tonight."), ctx), officer);
        if (k % 20 == 5)
        {
            // One case in twenty asks for a policy override; half of those are approved by two leads (never used here).
            var overrideId = Guid.NewGuid();
            Run((s, ctx) => CaseDecider.Decide(s!, new RequestOverride(overrideId, Route.NonEmergency, CaseState.ServiceUserId, "Exceptional circumstances"), ctx), lead);
            if (k % 40 == 5)
            {
                Run((s, ctx) => CaseDecider.Decide(s!, new ApproveOverride(overrideId, "Agreed"), ctx), lead);
                Run((s, ctx) => CaseDecider.Decide(s!, new ApproveOverride(overrideId, "Agreed"), ctx), lead2);
            }
        }
        if (kind >= 4)
        {
            var disclosure = Guid.NewGuid();
            Run((s, ctx) => CaseDecider.Decide(s!, new RecordDisclosure(disclosure, at - Duration.FromMinutes(20), Channel.Boards, $"post-{k}",
                "My dad hits me when he drinks", [new Concern(ConcernCategory.Physical, ConcernStatus.Current, CaseState.ServiceUserId)]), ctx), officer);
            if (kind >= 6)
            {
                var assessment = Guid.NewGuid();
                Run((s, ctx) => CaseDecider.Decide(s!, new RecordRiskAssessment(assessment,
                    [new PersonAssessment(CaseState.ServiceUserId, ThreatToLife.None, [ConcernCategory.Physical], Route.NonEmergency)], "Ongoing abuse"), ctx), clinician);
                var escalation = Guid.NewGuid();
                Run((s, ctx) => CaseDecider.Decide(s!, new Escalate(escalation, new EscalationRequest(Route.NonEmergency, Agency.ChildrensSocialCare,
                    CaseState.ServiceUserId, assessment, [disclosure], [InformationShared.Name, InformationShared.DisclosureSummary], null)), ctx), officer);
                if (kind >= 7)
                {
                    Run((s, ctx) => CaseDecider.Decide(s!, new SendTransparencyNotice(escalation, "We shared your name and what you told us.", "Boards"), ctx), officer);
                    Run((s, ctx) => CaseDecider.Decide(s!, new CloseCase("Referred and user told"), ctx), officer);
                }
            }
        }
        return new Made(state!, events);
    }

    private sealed class BenchmarkApi(string connectionString) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Benchmark");
            builder.UseContentRoot(SafeguardingCases.Testing.Repository.ApiContentRoot);
            builder.UseSetting("ConnectionStrings:Marten", connectionString);
            builder.UseSetting("Auth:DevSigningKey", SigningKey);
            builder.UseSetting("Auth:AllowDevTokens", "true");
            builder.UseSetting("Database:ApplySchemaOnStartup", "false");
            builder.UseSetting("RateLimit:PermitsPerMinute", "0");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.UseSetting("Policy:UnifiedPolicyEffectiveFrom", "2016-01-01T00:00:00Z");
            // The deadline sweep runs only when MeasureSweepAsync runs it, not beside the reads.
            builder.UseSetting("Notifications:SweepInterval", "P1D");
        }
    }
}
