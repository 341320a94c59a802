using MailKit.Net.Smtp;
using MailKit.Security;
using Marten;
using MimeKit;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Infrastructure.Telemetry;

namespace SafeguardingCases.Api.Features.Notifications;

/// <summary>
/// Sends the outbox's emails through SMTP (MailKit; STARTTLS when the server offers it; a login when
/// <c>Notifications__Smtp__Username</c> is set). Each batch is claimed with <c>FOR UPDATE SKIP LOCKED</c> in one
/// transaction, so two instances never send the same email at once; an email is marked sent in that transaction after
/// the SMTP server took it. A process killed between the two sends it again, with the same <c>Message-ID</c> (set when
/// the email was written), which mail systems use to drop the second copy. A failure waits (1 s, doubling, at most an
/// hour) and is tried again; the failure's type is kept, never its message. A mail server's permanent refusal of the
/// recipient or the message (a <c>5xx</c> answer: no such mailbox, message rejected) is final: retrying would only be
/// refused again and keep the outbox's oldest-undelivered age growing, hiding real outages. The alert still stands in
/// the inbox, and an overdue one still goes up the ladder to the leads.
/// </summary>
public sealed class EmailOutbox(IDocumentStore store, IClock clock, NotificationOptions options, CaseKeyRing keys,
    SafeguardingMetrics metrics, ILogger<EmailOutbox> logger) : BackgroundService
{
    public const int BatchSize = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.SendsEmail) return;
        var every = TimeSpan.FromMilliseconds(Math.Min(1000, Math.Max(50, options.SweepInterval.TotalMilliseconds / 2)));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await SendDueAsync(stoppingToken) == 0) await Task.Delay(every, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not send alert emails ({Error}); will try again", e.GetType().Name);
                await Task.Delay(every * 5, stoppingToken);
            }
        }
    }

    /// <summary>Sends one batch of the emails that are due; returns how many it tried.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant().ToUnixTimeMilliseconds();
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(ct);
        var due = await session.QueryAsync<OutboxEmail>(
            $"where d.next_attempt_at_unix_ms <= ? order by d.next_attempt_at_unix_ms limit {BatchSize} for update skip locked", ct, now);
        metrics.SetOldestUndelivered(await OldestUndeliveredAsync(session, now, ct));
        if (due.Count == 0) return 0;

        // The addresses' keys in one query, not one blocking read an email; those found keyless were destroyed.
        var missing = await keys.PrepareAsync([.. due.Select(e => CaseKeyRing.CaseOf(e.SealedTo)).OfType<Guid>()], ct);
        using var smtp = new SmtpClient();
        Exception? unreachable = null;
        try
        {
            await smtp.ConnectAsync(options.SmtpHost!, options.SmtpPort, SecureSocketOptions.StartTlsWhenAvailable, ct);
            if (options.SmtpUsername is { } user) await smtp.AuthenticateAsync(user, options.SmtpPassword ?? "", ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            unreachable = e;
        }
        foreach (var email in due)
        {
            try
            {
                if (unreachable is not null) throw unreachable;
                // DESTRUCTION-TWO-LEADS: with the case's key gone, so is the address: the email is dropped, never sent.
                if ((CaseKeyRing.IsSealed(email.SealedTo) ? keys.Unseal(email.SealedTo, missing) : null) is not { } to)
                {
                    email.NextAttemptAtUnixMs = null;
                    email.LastError = "CaseDataDestroyed";
                    session.Update(email);
                    metrics.AlertFailed("Email");
                    logger.LogWarning("An alert email was dropped: its address can no longer be opened (the case's data was destroyed)");
                    continue;
                }
                await smtp.SendAsync(Message(email, to), ct);
                email.SentAtUnixMs = clock.GetCurrentInstant().ToUnixTimeMilliseconds();
                email.NextAttemptAtUnixMs = null;
                metrics.AlertSent("Email");
            }
            catch (SmtpCommandException e) when (RefusedForGood(e))
            {
                email.Attempts++;
                email.LastError = e.ErrorCode == SmtpErrorCode.RecipientNotAccepted ? "RecipientRefused" : "MessageRefused";
                email.NextAttemptAtUnixMs = null;
                metrics.AlertFailed("Email");
                logger.LogWarning("An alert email was refused for good by the mail server ({Error}, SMTP {Status}); it will not be tried again",
                    email.LastError, (int)e.StatusCode);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                email.Attempts++;
                email.LastError = e.GetType().Name;
                email.NextAttemptAtUnixMs = now + (long)Math.Min(3_600_000, 1000 * Math.Pow(2, Math.Min(email.Attempts - 1, 20)));
                metrics.AlertFailed("Email");
                logger.LogWarning("An alert email could not be sent ({Error}, attempt {Attempt}); it will be tried again", e.GetType().Name, email.Attempts);
            }
            session.Update(email);
        }
        if (smtp.IsConnected) await smtp.DisconnectAsync(true, CancellationToken.None);
        await session.SaveChangesAsync(CancellationToken.None);
        return due.Count;
    }

    /// <summary>
    /// A <c>5xx</c> answer to the recipient or the message (RFC 5321 4.2.1: "permanent negative completion"). A refused
    /// sender is left to retry: that is the deployment's <c>From</c> setting, and every email would fail alike until an
    /// operator fixes it.
    /// </summary>
    private static bool RefusedForGood(SmtpCommandException e) =>
        e.ErrorCode is SmtpErrorCode.RecipientNotAccepted or SmtpErrorCode.MessageNotAccepted && (int)e.StatusCode >= 500;

    private MimeMessage Message(OutboxEmail email, string to)
    {
        var message = new MimeMessage { MessageId = email.MessageId, Subject = email.Subject, Body = new TextPart("plain") { Text = email.Body } };
        message.From.Add(MailboxAddress.Parse(options.SmtpFrom));
        message.To.Add(MailboxAddress.Parse(to));
        return message;
    }

    private static async Task<Duration> OldestUndeliveredAsync(IQuerySession session, long now, CancellationToken ct)
    {
        var oldest = await session.Query<OutboxEmail>().Where(e => e.NextAttemptAtUnixMs != null).OrderBy(e => e.CreatedAtUnixMs)
            .Select(e => e.CreatedAtUnixMs).FirstOrDefaultAsync(ct);
        return oldest == 0 ? Duration.Zero : Duration.FromMilliseconds(Math.Max(0, now - oldest));
    }
}
