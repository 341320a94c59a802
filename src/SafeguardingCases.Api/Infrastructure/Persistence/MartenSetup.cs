using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Domain.Cases;
using Weasel.Core;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>The Marten event store: one stream per case (Guid ids), System.Text.Json with NodaTime, enums as strings.</summary>
public static class MartenSetup
{
    public const string ConnectionStringName = "Marten";

    /// <summary>Every event type of a case, registered so Marten can read any stream back.</summary>
    public static readonly Type[] CaseEventTypes = typeof(ICaseEvent).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ICaseEvent).IsAssignableFrom(t))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// <c>Database__ApplySchemaOnStartup</c>: whether the API creates and updates its own tables (true in Development).
    /// Elsewhere the schema is applied by <c>db-apply</c> before the API starts, and the API's role needs no DDL rights.
    /// </summary>
    public static bool ApplySchemaOnStartup(IConfiguration configuration, IHostEnvironment environment) =>
        Configuration.Settings.ReadBool(configuration, "Database:ApplySchemaOnStartup") ?? environment.IsDevelopment();

    public static IServiceCollection AddSafeguardingMarten(this IServiceCollection services, IConfiguration configuration, bool applySchema)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new Configuration.StartupRefusedException(
                "ConnectionStrings__Marten is not set. Run the API with deploy/run-api.sh (it starts a local PostgreSQL), " +
                "or set ConnectionStrings__Marten to your PostgreSQL.");
        }

        // One pool for Marten and for the raw reads (history, integrity) that need the stored JSON as it is.
        services.AddSingleton(_ => NpgsqlDataSource.Create(WithPoolDefaults(connectionString)));
        services.AddMarten(sp =>
            {
                var options = Configure(new StoreOptions(), sp.GetRequiredService<NpgsqlDataSource>(), applySchema, sp.GetRequiredService<Privacy.CaseKeyRing>());
                options.Logger(new MartenLogging(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Marten")));
                return options;
            })
            .UseLightweightSessions();
        if (applySchema) services.AddHostedService<SchemaCommands.ApplyOnStartup>();
        return services;
    }

    /// <summary>
    /// Pool settings the write path depends on, unless the connection string says otherwise. Npgsql's default resets
    /// each pooled connection (DISCARD ALL) when it goes back to the pool, which throws away every prepared statement
    /// and every cached plan of Marten's append and upsert functions; with the reset off, Npgsql's automatic
    /// preparation keeps the hot statements prepared on each connection. Nothing here sets session state that a
    /// reset would need to clear (transactions end on return either way). Measured by the write benchmark.
    /// </summary>
    public static string WithPoolDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        bool Mentions(string key) => connectionString.Contains(key, StringComparison.OrdinalIgnoreCase);
        if (!Mentions("No Reset On Close") && !Mentions("NoResetOnClose")) builder.NoResetOnClose = true;
        if (!Mentions("Max Auto Prepare") && !Mentions("MaxAutoPrepare")) builder.MaxAutoPrepare = 64;
        if (!Mentions("Auto Prepare Min Usages") && !Mentions("AutoPrepareMinUsages")) builder.AutoPrepareMinUsages = 2;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Before a raw read of Marten's tables: makes sure they exist (on a new database nothing has created them yet).
    /// Marten remembers the check, so it costs nothing after the first time.
    /// </summary>
    public static async Task EnsureTablesForRawReadsAsync(IDocumentStore store, CancellationToken ct)
    {
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(JasperFx.Events.IEvent), ct);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(CaseStream), ct);
        await store.Storage.Database.EnsureStorageExistsAsync(typeof(Features.Cases.List.CaseSummary), ct);
    }

    /// <summary>The event table, for the raw reads.</summary>
    public const string EventsTable = "public.mt_events";

    /// <summary>The stream table (one row a case, with its version), for the raw reads.</summary>
    public const string StreamsTable = "public.mt_streams";

    /// <summary>The case list rows, for the overdue-obligations gauge.</summary>
    public const string CaseSummaryTable = "public.mt_doc_casesummary";
    /// <summary>The restricted case list rows by last change: the list filtered to restricted cases.</summary>
    public const string RestrictedByLastChangeIndex = "mt_doc_casesummary_restricted_by_last_change";

    /// <summary>The case documents (<see cref="CaseStream"/>), for the raw reads.</summary>
    public const string CaseStreamTable = "public.mt_doc_casestream";

    /// <summary>
    /// The store's configuration. With <paramref name="applySchema"/> false Marten never changes the schema
    /// (<c>AutoCreate.None</c>): the API then runs as a role with only DML rights on a schema <c>db-apply</c> made.
    /// </summary>
    public static StoreOptions Configure(StoreOptions opts, NpgsqlDataSource dataSource, bool applySchema = true, Privacy.CaseKeyRing? keys = null)
    {
        opts.Connection(dataSource);
        // Durations stored as ISO-8601 (PT24H), as shown everywhere else; events stored earlier as "24:00:00" still read.
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase,
            o =>
            {
                o.Converters.Add(new Json.IsoDurationConverter());
                o.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
                // PRIVACY-AT-REST: personal fields are sealed under their case's key as they are written, opened as read.
                if (keys is not null)
                    o.TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.WithAddedModifier(
                        o.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(), Privacy.PersonalDataJson.Modifier(keys));
            });
        opts.AutoCreateSchemaObjects = applySchema ? AutoCreate.CreateOrUpdate : AutoCreate.None;
        // Marten's own spans (one per session connection) and its counters of appended events, for OpenTelemetry.
        opts.OpenTelemetry.TrackConnections = JasperFx.OpenTelemetry.TrackLevel.Normal;
        opts.OpenTelemetry.TrackEventCounters();
        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        opts.Events.AddEventTypes(CaseEventTypes);
        // Each event's hash travels in its own row (the headers column), so hash and event are written and read together.
        opts.Events.MetadataConfig.HeadersEnabled = true;
        // The case state and its chain head are kept inline: written in the same transaction as the events. Marten 9
        // keeps the aggregate FetchForWriting loaded in the identity map, so the commit applies the new events to it
        // without reading it again, and appends with its quick append function (both are Marten 9 defaults, set here
        // so the write path does not depend on them silently).
        opts.Events.UseIdentityMapForAggregates = true;
        // The check after an ambiguous commit looks events up by id: indexed, not a scan of every event.
        opts.Events.EnableUniqueIndexOnEventId = true;
        opts.Events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        // The loser of an append race waits for the winner's commit and then fails its version check cleanly, instead
        // of failing on the events' unique key after taking a sequence number (a gap the async daemon would stall on).
        opts.Events.UseExclusiveLockOnConcurrentAppends = true;
        opts.Projections.Add(new CaseStreamProjection(), ProjectionLifecycle.Inline);
        // Not Marten's CacheAggregatesForWriting: it writes back the instance FetchForWriting returned, expecting the
        // inline projection to have changed it in place; CaseStreamProjection evolves immutably (a new instance), so
        // the cache would hold the state from before the commit under the new version. (Measured slower, too.)
        // Escalations and no-escalation decisions across cases, by time: the escalation audit and the weekly report.
        opts.Projections.Add(new DecisionRecordProjection(), ProjectionLifecycle.Inline);
        opts.Storage.ExtendedSchemaObjects.Add(Features.Reports.DecisionCounts.Table());
        opts.Schema.For<DecisionRecord>().Index(x => x.AtUnixMs).Index(x => x.SortKey);
        opts.Schema.For<IdempotencyRecord>().Identity(x => x.Id).Index(x => x.ExpiresAtUnixMs);
        // The case list row is written by the command runner from the state it evolved (see CaseCommandRunner).
        // Lists and queues read these as real columns, each with Marten's index: an index scan in order, one page long.
        // Each write of a row changes its last-change column, so PostgreSQL adds an entry to every index of the table
        // whose predicate the row meets. The queues' indexes hold only the cases owing that obligation (the queue
        // query asks for "is not null", so the partial index serves it) and the restricted index only restricted
        // cases: a note on a case owing nothing touches three indexes, not nine.
        opts.Schema.For<CaseSummary>()
            .Duplicate(x => x.Status)
            .Duplicate(x => x.LastChangedAtUnixMs)
            .Duplicate(x => x.Restricted, configure: i => i.Predicate = "restricted")
            .Duplicate(x => x.AllocatedTo, configure: i => i.Predicate = "allocated_to is not null")
            .Duplicate(x => x.RetentionReviewAtUnixMs, configure: i => i.Predicate = "retention_review_at_unix_ms is not null")
            .Duplicate(x => x.DueSafetyPlanFirst, configure: i => i.Predicate = "due_safety_plan_first is not null")
            .Duplicate(x => x.DueRiskAssessmentNeeded, configure: i => i.Predicate = "due_risk_assessment_needed is not null")
            .Duplicate(x => x.DueTransparencyNoticeDue, configure: i => i.Predicate = "due_transparency_notice_due is not null")
            .Duplicate(x => x.DueReportDue, configure: i => i.Predicate = "due_report_due is not null")
            .Duplicate(x => x.DueNoEscalationDecisionDue, configure: i => i.Predicate = "due_no_escalation_decision_due is not null")
            // The restricted cases by last change (the list's restricted=true): a lead's page of them stops after one page.
            .Index(x => x.LastChangedAtUnixMs, i => { i.Name = RestrictedByLastChangeIndex; i.Predicate = "restricted"; })
            // The search by reference: the rows whose blind index holds a value ((data -> 'referenceIndex') @> '["..."]').
            .GinIndexJsonDataMember(x => x.ReferenceIndex!);
        opts.Schema.For<Ledger.CheckpointRecord>().Identity(x => x.Id);
        opts.Schema.For<Privacy.CaseKey>().Identity(x => x.Id);
        // Alerts: the inbox pages by recipient and time; the outbox reads only what waits to be sent (a partial index).
        opts.Schema.For<Features.Notifications.Alert>().Identity(x => x.Id)
            .Duplicate(x => x.NotificationId, configure: i => i.IsUnique = true)
            .Duplicate(x => x.RecipientSubject).Duplicate(x => x.RecipientRole).Duplicate(x => x.RaisedAtUnixMs)
            // The sweep readdresses a case's open alerts when its allocation changes (DeadlineAlerts.FollowAllocationAsync).
            .Duplicate(x => x.CaseId)
            // The unacknowledged count (on every console page) reads only unacknowledged alerts, by recipient. (Marten's
            // migration does not notice a changed predicate: give an index a new name when its predicate changes.)
            .Index(x => x.RecipientSubject, i => { i.Name = "mt_doc_alert_unacknowledged_subject"; i.Predicate = Features.Notifications.Inbox.VisibleAlerts.Unacknowledged; })
            .Index(x => x.RecipientRole, i => { i.Name = "mt_doc_alert_unacknowledged_role"; i.Predicate = Features.Notifications.Inbox.VisibleAlerts.Unacknowledged; })
            // The ladder reads only the overdue alerts still waiting on it, oldest first.
            .Index(x => x.RaisedAtUnixMs, i => { i.Name = "mt_doc_alert_ladder_waiting"; i.Predicate = Features.Notifications.Alert.LadderWaiting; });
        opts.Schema.For<Features.Notifications.DeadlineLook>().Identity(x => x.Id);
        opts.Schema.For<Features.Notifications.OutboxEmail>().Identity(x => x.Id)
            .Duplicate(x => x.NextAttemptAtUnixMs, configure: i => i.Predicate = "next_attempt_at_unix_ms is not null");
        opts.Schema.For<Features.Webhooks.WebhookDelivery>()
            .Duplicate(x => x.NextAttemptAtUnixMs, configure: i => i.Predicate = "next_attempt_at_unix_ms is not null")
            .Duplicate(x => x.WebhookId).Duplicate(x => x.CreatedAtUnixMs);
        opts.Schema.For<Features.Webhooks.WebhookEndpoint>();
        opts.Schema.For<Features.Webhooks.WebhookFeedPosition>().Identity(x => x.Id);
        opts.Schema.For<Features.Audit.Overrides.OverrideAuditRow>().Index(x => x.SortKey);
        opts.Schema.For<Features.Audit.BreakGlass.BreakGlassAuditRow>().Index(x => x.SortKey);
        opts.Schema.For<Features.Audit.Exports.ExportAuditRow>().Index(x => x.SortKey);
        opts.Schema.For<Features.Staff.StaffMember>().Identity(x => x.Id);
        opts.Schema.For<Sessions.ConsoleSession>().Identity(x => x.Id);
        opts.Schema.For<Sessions.DataProtectionKey>().Identity(x => x.Id);
        opts.Schema.For<Messaging.CaseAccessRecord>().Index(x => x.CaseId).Index(x => x.AtUnixMs);
        return opts;
    }
}
