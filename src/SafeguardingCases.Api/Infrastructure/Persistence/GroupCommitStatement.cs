using JasperFx.Events.Projections;
using Marten;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Infrastructure.Persistence;

/// <summary>
/// The group commit's one statement (<c>GroupCommit.sql</c>, an embedded resource), with its table, sequence and
/// column names read from Marten's own mappings, and the guards for everything it assumes of Marten's configuration.
/// Built once, at start-up: a configuration it cannot write for stops the API with one line naming what differs, so a
/// change to the store's options can never make the group path write rows Marten would not have written. What the
/// guards cannot see (a Marten upgrade that adds a column or changes its append function) the schema contract and
/// differential tests catch (tests/.../Foundation/MartenDriftTests.cs).
/// </summary>
public sealed class GroupCommitStatement
{
    private GroupCommitStatement(string sql, IReadOnlySet<Type> martenOnly)
    {
        Sql = sql;
        MartenOnlyEvents = martenOnly;
    }

    /// <summary>The statement, names filled in.</summary>
    public string Sql { get; }

    /// <summary>
    /// Events the group path never commits: every event an inline projection besides the case's own handles (its
    /// rows are Marten's to write), and those <see cref="CaseCommandRunner"/> stages audit rows for.
    /// </summary>
    public IReadOnlySet<Type> MartenOnlyEvents { get; }

    /// <summary>
    /// Events whose commands also write rows only the Marten path stages (see <c>CaseStager</c>): audit rows, and a
    /// destruction's deletion of the case's key and of the answers sealed under it.
    /// </summary>
    public static readonly IReadOnlySet<Type> AuditedEvents = new HashSet<Type>
    {
        typeof(OverrideRequested), typeof(OverrideApproved), typeof(EscalationMade), typeof(NoEscalationDecisionRecorded),
        typeof(BreakGlassAccessGranted), typeof(CaseDataDestroyed), typeof(ChronologyExported),
    };

    /// <summary>Whether every one of these events can be committed by the group statement.</summary>
    public bool Commits(IEnumerable<ICaseEvent> events) => events.All(e => !MartenOnlyEvents.Contains(e.GetType()));

    /// <summary>Reads the statement and checks the store's options; throws <see cref="StartupRefusedException"/> on a mismatch.</summary>
    public static GroupCommitStatement For(IReadOnlyStoreOptions options)
    {
        var events = options.Events;
        Require(events.TenancyStyle == JasperFx.MultiTenancy.TenancyStyle.Single, "the event store is multi-tenanted");
        Require(events.StreamIdentity == JasperFx.Events.StreamIdentity.AsGuid, "streams are not identified by Guid");
        Require(!events.UseArchivedStreamPartitioning, "the event table is partitioned by archive status");
        Require(((StoreOptions)options).Events.TagTypes.Count == 0, "events carry tags (their tag tables are not written)");
        var metadata = events.MetadataConfig;
        Require(metadata.HeadersEnabled, "event headers are off (each event's hash travels in its headers)");
        Require(!metadata.CorrelationIdEnabled && !metadata.CausationIdEnabled && !metadata.UserNameEnabled,
            "an event metadata column (correlation, causation or user name) is on");
        var schema = events.DatabaseSchemaName;

        var martenOnly = new HashSet<Type>(AuditedEvents);
        foreach (var projection in ((StoreOptions)options).Projections.All)
        {
            if (projection is CaseStreamProjection || projection.Lifecycle != ProjectionLifecycle.Inline) continue;
            Require(projection is EventFilterable, $"the inline projection {projection.GetType().Name} does not say which events it handles");
            martenOnly.UnionWith(((EventFilterable)projection).IncludedEventTypes);
        }

        var cases = Table(options, typeof(CaseStream), duplicated: false);
        var answers = Table(options, typeof(IdempotencyRecord), duplicated: false);
        var summaries = Table(options, typeof(CaseSummary), duplicated: true);
        var summary = options.FindOrResolveDocumentType(typeof(CaseSummary));
        var columns = summary.DuplicatedFields.Select(f =>
        {
            Require(f.Members.Length == 1, $"the case list row's duplicated field {f.ColumnName} is nested");
            Require(f.PgType is "varchar" or "text" or "bigint" or "boolean" or "integer",
                $"the case list row's duplicated field {f.ColumnName} is of type {f.PgType}");
            return (f.ColumnName, Json: System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(f.Members[0].Name), f.PgType);
        }).ToList();

        using var resource = typeof(GroupCommitStatement).Assembly.GetManifestResourceStream("GroupCommit.sql")
            ?? throw new InvalidOperationException("GroupCommit.sql is not embedded in the API's assembly.");
        var sql = new StreamReader(resource).ReadToEnd()
            .Replace("{{events}}", $"{schema}.mt_events", StringComparison.Ordinal)
            .Replace("{{streams}}", $"{schema}.mt_streams", StringComparison.Ordinal)
            .Replace("{{sequence}}", $"{schema}.mt_events_sequence", StringComparison.Ordinal)
            .Replace("{{cases}}", cases, StringComparison.Ordinal)
            .Replace("{{answers}}", answers, StringComparison.Ordinal)
            .Replace("{{summaries}}", summaries, StringComparison.Ordinal)
            .Replace("{{summary_columns}}", string.Concat(columns.Select(c => $", {c.ColumnName}")), StringComparison.Ordinal)
            .Replace("{{summary_values}}", string.Concat(columns.Select(c => $", cast(c.data ->> '{c.Json}' as {c.PgType})")), StringComparison.Ordinal)
            .Replace("{{summary_updates}}", string.Concat(columns.Select(c => $", {c.ColumnName} = excluded.{c.ColumnName}")), StringComparison.Ordinal);
        Require(!sql.Contains("{{", StringComparison.Ordinal), "GroupCommit.sql names something this class does not fill in");
        return new GroupCommitStatement(sql, martenOnly);
    }

    private static string Table(IReadOnlyStoreOptions options, Type documentType, bool duplicated)
    {
        var mapping = options.FindOrResolveDocumentType(documentType);
        Require(mapping.TenancyStyle == JasperFx.MultiTenancy.TenancyStyle.Single, $"{documentType.Name} documents are multi-tenanted");
        Require(!mapping.UseOptimisticConcurrency, $"{documentType.Name} documents use optimistic concurrency");
        Require(duplicated || mapping.DuplicatedFields.Count == 0, $"{documentType.Name} documents have duplicated fields");
        return mapping.TableName.QualifiedName;
    }

    private static void Require(bool holds, string what)
    {
        if (!holds)
        {
            throw new StartupRefusedException(
                $"The group commit (Infrastructure/Persistence/GroupCommit.sql) cannot write Marten's tables as configured: {what}. " +
                "Change GroupCommit.sql and GroupCommitStatement together, or set Commands__GroupCommit=false.");
        }
    }
}
