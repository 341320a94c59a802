using NodaTime;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Domain.Policy;

namespace SafeguardingCases.Api.Features.Notifications;

/// <summary>The <c>Notifications</c> configuration section (DESIGN.md "Allocation and notifications").</summary>
public sealed record NotificationOptions
{
    /// <summary>Where an unallocated case's alerts are emailed (none: no email for them; the duty officers' inbox still has them).</summary>
    public string? DutyAddress { get; init; }

    /// <summary>Where an overdue alert nobody acknowledged goes (the leads).</summary>
    public string? EscalateTo { get; init; }

    public Duration DueSoon { get; init; } = Duration.FromHours(2);
    public Duration EscalateAfter { get; init; } = Duration.FromHours(1);
    public Duration SweepInterval { get; init; } = Duration.FromMinutes(1);

    /// <summary>
    /// How many cases the deadline sweep, or new events the webhook feed, takes in one read; not configuration (a test
    /// sets it small to have a backlog larger than a read).
    /// </summary>
    public int ReadSize { get; init; } = 500;

    /// <summary>How long a rotated webhook secret still signs beside the new one.</summary>
    public Duration SecretOverlap { get; init; } = Duration.FromHours(24);

    /// <summary>The console's address, for the link in an email (none: a link relative to the console, <c>/cases/{id}</c>).</summary>
    public string? ConsoleUrl { get; init; }

    public string? SmtpHost { get; init; }
    public int SmtpPort { get; init; } = 25;
    public string SmtpFrom { get; init; } = "safeguarding-alerts@localhost";
    public string? SmtpUsername { get; init; }
    public string? SmtpPassword { get; init; }

    public bool SendsEmail => !string.IsNullOrWhiteSpace(SmtpHost);

    public static NotificationOptions Bind(IConfiguration configuration)
    {
        var defaults = new NotificationOptions();
        string? Text(string key) => configuration[$"Notifications:{key}"] is { Length: > 0 } v ? v : null;
        return new NotificationOptions
        {
            DutyAddress = Text("DutyAddress"),
            EscalateTo = Text("EscalateTo"),
            DueSoon = Settings.ReadDuration(configuration, "Notifications:DueSoon") ?? defaults.DueSoon,
            EscalateAfter = Settings.ReadDuration(configuration, "Notifications:EscalateAfter") ?? defaults.EscalateAfter,
            SweepInterval = Settings.ReadDuration(configuration, "Notifications:SweepInterval") ?? defaults.SweepInterval,
            SecretOverlap = Settings.ReadDuration(configuration, "Notifications:SecretOverlap") ?? defaults.SecretOverlap,
            ConsoleUrl = Text("ConsoleUrl")?.TrimEnd('/'),
            SmtpHost = Text("Smtp:Host"),
            SmtpPort = (int?)Settings.ReadPositiveLong(configuration, "Notifications:Smtp:Port") ?? defaults.SmtpPort,
            SmtpFrom = Text("Smtp:From") ?? defaults.SmtpFrom,
            SmtpUsername = Text("Smtp:Username"),
            SmtpPassword = Text("Smtp:Password"),
        };
    }

    /// <summary>The console's page for a case, as an email links to it.</summary>
    public string LinkTo(Guid caseId) => $"{ConsoleUrl}/cases/{caseId}";
}

public enum AlertKind { DueSoon, Overdue, Escalated }

/// <summary>
/// One alert: an obligation crossing a threshold (due soon, overdue) or an unacknowledged overdue alert going up the
/// ladder. Its id is the obligation and the threshold, so each is raised once whatever runs the sweep, and when. It
/// holds no personal data: the case id, the obligation's type and due instant, and who it is addressed to (a staff
/// subject or a role). Never a case event: background work never changes a case's version.
/// </summary>
public sealed class Alert
{
    /// <summary><c>{caseId}:{obligation}:{what it is about}:{dueBy ms}:{kind}</c>.</summary>
    public string Id { get; set; } = "";
    public Guid NotificationId { get; set; }
    public Guid CaseId { get; set; }
    public ObligationType Obligation { get; set; }
    public Instant DueBy { get; set; }
    public AlertKind Kind { get; set; }
    public Instant RaisedAt { get; set; }
    public long RaisedAtUnixMs { get; set; }
    /// <summary>The allocated worker it is addressed to, or null when addressed to a role.</summary>
    public string? RecipientSubject { get; set; }
    /// <summary>The role it is addressed to (the duty officers, or the leads for the ladder), or null.</summary>
    public string? RecipientRole { get; set; }
    public Instant? AcknowledgedAt { get; set; }
    public string? AcknowledgedBy { get; set; }
    /// <summary>An overdue alert's ladder is settled: it went up to the leads, or its obligation was discharged first.</summary>
    public bool LadderSettled { get; set; }

    /// <summary>Its case could not be read to take it up the ladder: not tried again before this instant (Unix ms).</summary>
    public long? LadderRetryAtUnixMs { get; set; }

    /// <summary>
    /// An overdue alert nobody acknowledged whose ladder is not settled, as stored (a field an older version did not write
    /// reads as not set): the predicate of the partial index the sweep's ladder reads, so the ladder reads only what
    /// waits on it, not every alert ever raised.
    /// </summary>
    public const string LadderWaiting =
        "(data ->> 'kind') = 'Overdue' and (data ->> 'acknowledgedAt') is null and (data ->> 'ladderSettled') is distinct from 'true'";

    /// <summary>The alert's key: the obligation (which one, due when) and the threshold.</summary>
    public static string KeyOf(Guid caseId, Obligation o, AlertKind kind) =>
        $"{caseId:N}:{o.Type}:{o.EscalationId?.ToString("N") ?? o.DisclosureId?.ToString("N") ?? o.PersonId ?? "-"}:{o.DueBy.ToUnixTimeMilliseconds()}:{kind}";

    /// <summary>A stable id to show and acknowledge it by: derived from its key.</summary>
    public static Guid NotificationIdOf(string key) => Domain.DeterministicGuid.Of("alert\n" + key);
}

/// <summary>
/// One email of an alert, to one address, waiting in the outbox until it is sent. Written in the same transaction as
/// its alert; its <c>Message-ID</c> is fixed when it is written, so a retried send is the same message.
/// </summary>
public sealed class OutboxEmail
{
    /// <summary><c>{alert id}:email</c>: an alert has one email, and its id does not carry the address.</summary>
    public string Id { get; set; } = "";
    public string MessageId { get; set; } = "";
    public string AlertId { get; set; } = "";

    /// <summary>
    /// PRIVACY-AT-REST: the address, sealed under the case's key as the case keeps the allocated worker's (the outbox
    /// keeps sent emails too); opened only to send. Sealed here, not by the serializer, so the sender can mark emails
    /// of many cases sent in one transaction. Once the case's key is destroyed the email cannot be sent.
    /// </summary>
    public string SealedTo { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Body { get; set; } = "";
    public long CreatedAtUnixMs { get; set; }
    /// <summary>When it may next be tried; null once it is sent.</summary>
    public long? NextAttemptAtUnixMs { get; set; }
    public long? SentAtUnixMs { get; set; }
    public int Attempts { get; set; }
    /// <summary>The last failure's type (never its message, which could carry an address).</summary>
    public string? LastError { get; set; }

    /// <summary>An obligation in the console's words (its work queue's heading), through its name on the wire.</summary>
    internal static string Named(ObligationType obligation) =>
        Web.Components.Pages.WorkQueues.QueueName(Enum.Parse<Web.Client.Generated.Models.ObligationType>(obligation.ToString()));

    /// <summary>
    /// The email of an alert: the case id, the obligation, its due instant and a link, nothing recorded about a person.
    /// </summary>
    public static OutboxEmail For(Alert alert, string sealedTo, NotificationOptions options, Instant now)
    {
        var what = alert.Kind switch
        {
            AlertKind.DueSoon => "due soon",
            AlertKind.Overdue => "overdue",
            _ => "overdue and not acknowledged",
        };
        // In UK time, as the console shows it and the staff keep it, and as the instant itself.
        var due = $"{Web.Components.Shared.Format.Instant(alert.DueBy.ToDateTimeOffset())} ({NodaTime.Text.InstantPattern.ExtendedIso.Format(alert.DueBy)})";
        return new OutboxEmail
        {
            Id = $"{alert.Id}:email",
            MessageId = $"{Alert.NotificationIdOf(alert.Id + ":email"):N}@safeguarding-cases",
            AlertId = alert.Id,
            SealedTo = sealedTo,
            // The obligation in the console's words ("Transparency notice due (overdue)"), so a rota reads it at a glance.
            Subject = $"Safeguarding: {Named(alert.Obligation)} ({what}) on case {alert.CaseId}",
            Body = $"""
                An obligation on a safeguarding case is {what}.

                Case: {alert.CaseId}
                Obligation: {Named(alert.Obligation)}
                Due by: {due}

                Open the case: {options.LinkTo(alert.CaseId)}

                This message says nothing about the people in the case. Sign in to the console to see it, and
                acknowledge the alert there.
                """,
            CreatedAtUnixMs = now.ToUnixTimeMilliseconds(),
            NextAttemptAtUnixMs = now.ToUnixTimeMilliseconds(),
        };
    }
}
