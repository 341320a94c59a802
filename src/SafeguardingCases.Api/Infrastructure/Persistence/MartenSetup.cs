using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Aggregation;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Http;
using Microsoft.Extensions.Options;
using SafeguardingCases.Api.Features.Audit;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
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

    public static IServiceCollection AddSafeguardingMarten(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings__Marten is not set. Run the API with deploy/run-api.sh (it starts a local PostgreSQL), " +
                "or set ConnectionStrings__Marten to your PostgreSQL.");
        }

        // One pool for Marten and for the raw reads (history, integrity) that need the stored JSON as it is.
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddMarten(sp => Configure(new StoreOptions(), sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<IOptions<PolicyOptions>>().Value))
            .UseLightweightSessions();
        return services;
    }

    /// <summary>The event table, for the raw reads.</summary>
    public const string EventsTable = "public.mt_events";

    public static StoreOptions Configure(StoreOptions opts, NpgsqlDataSource dataSource, PolicyOptions policy)
    {
        opts.Connection(dataSource);
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase,
            o => o.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb));
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        opts.Events.StreamIdentity = StreamIdentity.AsGuid;
        opts.Events.AddEventTypes(CaseEventTypes);
        // The case state is kept inline: written in the same transaction as the events that changed it.
        opts.Projections.Add(new CaseStateProjection(), ProjectionLifecycle.Inline);
        // The case list, with the obligations the policy computes (due instants depend on the policy options).
        opts.Projections.Add(new CaseSummaryProjection(policy), ProjectionLifecycle.Inline);
        // Escalations and no-escalation decisions across cases, by time: the escalation audit and the weekly report.
        opts.Projections.Add(new DecisionRecordProjection(), ProjectionLifecycle.Inline);
        opts.Schema.For<DecisionRecord>().Index(x => x.AtUnixMs);
        opts.Schema.For<IdempotencyRecord>().Identity(x => x.Id);
        opts.Schema.For<EventHash>().Identity(x => x.Id).Index(x => x.StreamId);
        opts.Schema.For<Messaging.CaseAccessRecord>().Index(x => x.CaseId).Index(x => x.AtUnixMs);
        return opts;
    }
}

/// <summary>Builds <see cref="CaseState"/> with the domain's own pure evolve function.</summary>
public sealed class CaseStateProjection : SingleStreamProjection<CaseState, Guid>
{
    public override CaseState? Evolve(CaseState? snapshot, Guid id, IEvent e) =>
        e.Data is ICaseEvent caseEvent ? CaseState.Evolve(snapshot, caseEvent) : snapshot;
}
