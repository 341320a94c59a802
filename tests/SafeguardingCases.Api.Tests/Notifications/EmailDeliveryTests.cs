using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using SafeguardingCases.Api.Features.Notifications;
using SafeguardingCases.Api.Infrastructure.Privacy;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// The email outbox against a real SMTP server that goes away and comes back, and that refuses a mailbox for good
/// (<c>550</c>). Emails are put in the outbox as the deadline sweep writes them (the address sealed under a real case's
/// key), so each test controls exactly which emails one batch holds.
/// </summary>
public sealed class EmailDeliveryTests(EmailDeliveryTests.MailApi api) : IClassFixture<EmailDeliveryTests.MailApi>
{
    private const string Refused = "gone@example.org";

    /// <summary>Outbox emails, due now, to each address in turn, in one transaction; their ids.</summary>
    private async Task<List<string>> QueueAsync(params string[] addresses)
    {
        var c = await CaseApi.Open(api, ageYears: 15);
        var keys = api.Services.GetRequiredService<CaseKeyRing>();
        var key = keys.Find(c.Id).ShouldNotBeNull();
        var now = api.Clock.GetCurrentInstant().ToUnixTimeMilliseconds();
        var ids = new List<string>();
        await using var session = api.Store.LightweightSession();
        foreach (var (address, i) in addresses.Select((a, i) => (a, i)))
        {
            var id = $"{c.Id:N}:test-{i}:email";
            session.Store(new OutboxEmail
            {
                Id = id, MessageId = $"{Guid.NewGuid():N}@test", AlertId = $"test-{i}", SealedTo = keys.Seal(c.Id, address, key),
                Subject = $"Safeguarding: test {i} on case {c.Id}", Body = "Open the case in the console.", CreatedAtUnixMs = now + i,
                NextAttemptAtUnixMs = now + i,
            });
            ids.Add(id);
        }
        await session.SaveChangesAsync();
        return ids;
    }

    private async Task<OutboxEmail> LoadAsync(string id)
    {
        await using var query = api.Store.QuerySession();
        return (await query.LoadAsync<OutboxEmail>(id)).ShouldNotBeNull();
    }

    private async Task<OutboxEmail> WaitForAsync(string id, Func<OutboxEmail, bool> until)
    {
        var email = await LoadAsync(id);
        for (var i = 0; i < 150 && !until(email); i++)
        {
            await Task.Delay(100);
            email = await LoadAsync(id);
        }
        until(email).ShouldBeTrue($"outbox email: attempts {email.Attempts}, last error {email.LastError}, sent {email.SentAtUnixMs}");
        return email;
    }

    [Fact]
    public async Task An_email_waits_out_a_mail_server_outage_and_is_sent_once_when_the_server_is_back()
    {
        await api.StopSmtpAsync();
        var id = (await QueueAsync("worker@example.org")).Single();

        var failed = await WaitForAsync(id, e => e.Attempts >= 1);
        failed.SentAtUnixMs.ShouldBeNull();
        failed.LastError.ShouldNotBeNull().ShouldNotContain("example.org", Case.Insensitive, "a failure's type, never its message");
        failed.NextAttemptAtUnixMs.ShouldNotBeNull("an outage is waited out, not given up on");

        api.StartSmtp();
        api.Clock.Advance(Duration.FromHours(1));
        var sent = await WaitForAsync(id, e => e.SentAtUnixMs is not null);
        sent.NextAttemptAtUnixMs.ShouldBeNull();
        var messages = await api.Smtp.WaitForAsync(m => m.MessageId == failed.MessageId, 1);
        messages.Count.ShouldBe(1);
        messages[0].To.Mailboxes.Single().Address.ShouldBe("worker@example.org");

        // Sent is sent: later sweeps never send it again.
        api.Clock.Advance(Duration.FromHours(2));
        await Task.Delay(1000);
        api.Smtp.Messages.Count(m => m.MessageId == failed.MessageId).ShouldBe(1);
    }

    [Fact]
    public async Task A_mailbox_the_server_refuses_for_good_is_not_tried_again_and_does_not_hold_up_the_batch_it_was_in()
    {
        api.StartSmtp();
        var ids = await QueueAsync(Refused, "worker@example.org", "duty@example.org");

        var refused = await WaitForAsync(ids[0], e => e.LastError is not null);
        refused.LastError.ShouldBe("RecipientRefused");
        refused.NextAttemptAtUnixMs.ShouldBeNull("a permanent refusal is final");
        refused.SentAtUnixMs.ShouldBeNull();
        refused.Attempts.ShouldBe(1);
        // The emails after it in the same batch still go, over the same connection.
        foreach (var id in ids.Skip(1)) (await WaitForAsync(id, e => e.SentAtUnixMs is not null)).Attempts.ShouldBe(0);
        var after = await LoadAsync(ids[1]);
        (await api.Smtp.WaitForAsync(m => m.MessageId == after.MessageId, 1)).Count.ShouldBe(1);

        api.Clock.Advance(Duration.FromHours(2));
        await Task.Delay(1000);
        (await LoadAsync(ids[0])).Attempts.ShouldBe(1, "never tried again");
        api.Smtp.Messages.ShouldNotContain(m => m.To.Mailboxes.Any(a => a.Address == Refused));
    }

    public sealed class MailApi : ApiFactory
    {
        private readonly int port = Loopback.FreePort();
        private TestSmtpServer? smtp;

        public TestSmtpServer Smtp => smtp.ShouldNotBeNull("the mail server is running");

        public void StartSmtp() => smtp ??= new TestSmtpServer(port, refuses: to => to == Refused);

        public async Task StopSmtpAsync()
        {
            if (smtp is not null) await smtp.DisposeAsync();
            smtp = null;
        }

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
        {
            ["Notifications:Smtp:Host"] = "127.0.0.1",
            ["Notifications:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notifications:Smtp:From"] = "alerts@example.org",
            ["Notifications:SweepInterval"] = "PT0.1S",
        };

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await StopSmtpAsync();
        }
    }
}
