using FastEndpoints;
using FluentValidation;
using Marten;
using Mediator;
using NodaTime;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Telemetry;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Domain.Policy;
using R = SafeguardingCases.Domain.Cases.Roles;

namespace SafeguardingCases.Api.Features.Notifications.Inbox;

/// <summary>
/// One alert in a person's inbox: which case, which obligation, due when; nothing recorded about a person.
/// <c>stillOwed</c>: whether the case still owes that obligation by that deadline now (false once it was met, the case
/// closed, or the deadline moved, when a later alert speaks for the new one), so an alert about work already done reads
/// as such; it stays in the inbox as it was raised, and is acknowledged as any other.
/// </summary>
public sealed record NotificationItem(Guid NotificationId, Guid CaseId, AlertKind Kind, ObligationType Obligation, Instant DueBy,
    Instant RaisedAt, Instant? AcknowledgedAt, bool StillOwed)
{
    public static NotificationItem From(Alert a, OwedNow owed) => new(a.NotificationId, a.CaseId, a.Kind, a.Obligation, a.DueBy, a.RaisedAt, a.AcknowledgedAt,
        owed.Owes(a.CaseId, a.Obligation, a.DueBy));
}

/// <summary>
/// What some cases owe now, from their list rows (written with every change of a case, in the same transaction): each
/// obligation's type and deadline, read as one indexed lookup by id, without opening anything personal.
/// </summary>
public sealed class OwedNow
{
    private readonly Dictionary<Guid, List<ObligationSummary>> byCase = [];

    public static async Task<OwedNow> ReadAsync(Npgsql.NpgsqlDataSource db, IDocumentStore store, IEnumerable<Guid> caseIds, CancellationToken ct)
    {
        var owed = new OwedNow();
        var ids = caseIds.Distinct().ToArray();
        if (ids.Length == 0) return owed;
        var serializer = store.Options.Serializer();
        await using var command = db.CreateCommand(
            $"select id, data -> 'obligations' from {Infrastructure.Persistence.MartenSetup.CaseSummaryTable} where id = any($1)");
        command.Parameters.AddWithValue(ids);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            owed.byCase[reader.GetGuid(0)] = await reader.IsDBNullAsync(1, ct) ? [] : serializer.FromJson<List<ObligationSummary>>(reader, 1);
        return owed;
    }

    /// <summary>Whether the case owes an obligation of this type due at this instant; a case with no list row is taken to.</summary>
    public bool Owes(Guid caseId, ObligationType type, Instant dueBy) =>
        !byCase.TryGetValue(caseId, out var obligations) || obligations.Any(o => o.Type == type && o.DueBy == dueBy);
}

/// <summary>
/// A page of the inbox, newest first; <c>next</c> is the cursor of the following page; <c>unacknowledged</c> counts the
/// reader's unacknowledged alerts up to <see cref="VisibleAlerts.CountUpTo"/> (that number means at least that many).
/// </summary>
public sealed record NotificationList(IReadOnlyList<NotificationItem> Items, string? Next, long Unacknowledged);

public sealed class NotificationsRequest
{
    public const int MaxLimit = 200;
    public int? Limit { get; set; }
    public string? Cursor { get; set; }
}

public sealed class NotificationsValidator : Validator<NotificationsRequest>
{
    public NotificationsValidator()
    {
        RuleFor(x => x.Limit).InclusiveBetween(1, NotificationsRequest.MaxLimit);
        RuleFor(x => x.Cursor).Must(c => c is null || Infrastructure.Http.Cursor.Decode(c) is not null).WithMessage("cursor is the next value of a previous page.");
    }
}

/// <summary>GET /notifications: the signed-in person's alerts (to them, or to a role they hold), newest first.</summary>
public sealed class ListNotificationsEndpoint(ISender sender) : Endpoint<NotificationsRequest, NotificationList>
{
    public override void Configure()
    {
        Get("/notifications");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<NotificationList>("Alerts", "The signed-in person's alerts, newest first (cursor paging with limit and cursor)", onCase: false), clearDefaults: true);
    }

    public override async Task HandleAsync(NotificationsRequest req, CancellationToken ct) =>
        await EndpointResults.SendJsonAsync(HttpContext, await sender.Send(new ListNotificationsQuery(User.ToActor(), req.Limit ?? 50,
            req.Cursor is null ? null : Infrastructure.Http.Cursor.Decode(req.Cursor)), ct), StatusCodes.Status200OK);
}

public sealed record ListNotificationsQuery(Actor Reader, int Limit, string? CursorKey) : IRequest<NotificationList>;

public sealed class ListNotificationsHandler(IQuerySession session, Npgsql.NpgsqlDataSource db) : IRequestHandler<ListNotificationsQuery, NotificationList>
{
    public async ValueTask<NotificationList> Handle(ListNotificationsQuery request, CancellationToken cancellationToken)
    {
        var reader = request.Reader;
        var parameters = new List<object>(VisibleAlerts.Parameters(reader));
        var where = VisibleAlerts.Where;
        if (request.CursorKey is { } key && Infrastructure.Http.Cursor.Parse(key) is var (ms, id))
        {
            where += " and (d.raised_at_unix_ms < ? or (d.raised_at_unix_ms = ? and d.notification_id < ?))";
            parameters.AddRange([ms, ms, id]);
        }
        await Infrastructure.Persistence.MartenSetup.EnsureTablesForRawReadsAsync(session.DocumentStore, cancellationToken);
        var rows = await session.QueryAsync<Alert>($"where {where} order by d.raised_at_unix_ms desc, d.notification_id desc limit {request.Limit + 1}",
            cancellationToken, [.. parameters]);
        var unacknowledged = await session.QueryAsync<long>(VisibleAlerts.CountUnacknowledged(session.DocumentStore.Options.Schema.For<Alert>()),
            cancellationToken, VisibleAlerts.CountParameters(reader));
        string? next = null;
        if (rows.Count > request.Limit)
        {
            var last = rows[request.Limit - 1];
            next = Infrastructure.Http.Cursor.Encode(Infrastructure.Http.Cursor.Key(last.RaisedAt, last.NotificationId));
        }
        var page = rows.Take(request.Limit).ToList();
        var owed = await OwedNow.ReadAsync(db, session.DocumentStore, page.Select(a => a.CaseId), cancellationToken);
        return new NotificationList([.. page.Select(a => NotificationItem.From(a, owed))], next, Math.Min(unacknowledged.Single(), VisibleAlerts.CountUpTo));
    }
}

/// <summary>POST /notifications/{id}/acknowledgement: the alert is seen and being dealt with; an overdue one stops its ladder.</summary>
public sealed class AcknowledgeNotificationEndpoint(IDocumentStore store, Npgsql.NpgsqlDataSource db, IClock clock, SafeguardingMetrics metrics) : EndpointWithoutRequest<NotificationItem>
{
    public override void Configure()
    {
        Post("/notifications/{id}/acknowledgement");
        Roles(R.SafeguardingOfficer, R.Clinician, R.SafeguardingLead, R.Auditor);
        Description(b => b.Read<NotificationItem>("Alerts", "Acknowledge one of the signed-in person's alerts (again: the first acknowledgement stands)", onCase: false)
            .Produces<Problem>(404, Problems.ContentType), clearDefaults: true);
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var actor = User.ToActor();
        await using var session = store.LightweightSession();
        await Infrastructure.Persistence.MartenSetup.EnsureTablesForRawReadsAsync(store, ct);
        var alert = Guid.TryParse(Route<string>("id"), out var id)
            ? (await session.QueryAsync<Alert>($"where d.notification_id = ? and {VisibleAlerts.Where}", ct, [id, .. VisibleAlerts.Parameters(actor)]))
                .SingleOrDefault()
            : null;
        if (alert is null)
        {
            await Problems.WriteAsync(HttpContext, Problems.Create(404, "Not found", "There is no such alert for you."));
            return;
        }
        if (alert.AcknowledgedAt is null)
        {
            alert.AcknowledgedAt = clock.GetCurrentInstant();
            alert.AcknowledgedBy = actor.Subject;
            session.Update(alert);
            await session.SaveChangesAsync(ct);
            metrics.AlertAcknowledged();
        }
        await EndpointResults.SendJsonAsync(HttpContext, NotificationItem.From(alert, await OwedNow.ReadAsync(db, store, [alert.CaseId], ct)), StatusCodes.Status200OK);
    }
}

/// <summary>
/// Which alerts a reader sees, in their inbox, its count and to acknowledge: those addressed to them or to a role they
/// hold; NEED-TO-KNOW: of a case restricted now (whenever its alerts were raised), only if its restriction names them
/// now. A Marten where-clause on the alerts as <c>d</c>, with <see cref="Parameters"/>. Whether a case is restricted now
/// is its list row's indexed flag (written with every change of the case), so only a restricted case's document is
/// opened to read whom it names.
/// </summary>
public static class VisibleAlerts
{
    private const string NotHiddenByRestriction =
        $"not exists (select 1 from {Infrastructure.Persistence.MartenSetup.CaseSummaryTable} r " +
        $"join {Infrastructure.Persistence.MartenSetup.CaseStreamTable} c on c.id = r.id " +
        "where r.id = (d.data ->> 'caseId')::uuid and r.restricted " +
        "and not jsonb_exists(c.data -> 'state' -> 'restriction' -> 'allowedSubjects', ?))";

    public const string Where = "(d.recipient_subject = ? or d.recipient_role = any(?)) and " + NotHiddenByRestriction;

    public static object[] Parameters(Actor reader) => [reader.Subject, reader.Roles.ToArray(), reader.Subject];

    /// <summary>Not acknowledged (as stored; the predicate of the partial indexes the count reads).</summary>
    public const string Unacknowledged = "(data ->> 'acknowledgedAt') is null";

    /// <summary>
    /// The count stops here: it is on every console page, and counting every alert nobody acknowledged (those of
    /// obligations long since discharged included) would grow with the years; a page's read stays flat instead.
    /// </summary>
    public const int CountUpTo = 1000;

    /// <summary>
    /// The reader's unacknowledged visible alerts, up to <see cref="CountUpTo"/> of each kind of address (an alert is
    /// addressed to a person or to a role, never both), each on its own partial index of unacknowledged alerts.
    /// </summary>
    public static string CountUnacknowledged(string table) =>
        $"select (select count(*) from (select 1 from {table} d where d.recipient_subject = ? and {Unacknowledged} and {NotHiddenByRestriction} limit {CountUpTo}) s) " +
        $"+ (select count(*) from (select 1 from {table} d where d.recipient_role = any(?) and {Unacknowledged} and {NotHiddenByRestriction} limit {CountUpTo}) r)";

    public static object[] CountParameters(Actor reader) => [reader.Subject, reader.Subject, reader.Roles.ToArray(), reader.Subject];
}
