using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on a loopback port (the SmtpServer package), keeping every message it accepts. It can listen on a
/// port chosen before it starts (to play a mail server that comes back after an outage) and refuse recipients for good
/// (<c>550</c>, as a server answers for a mailbox that does not exist).
/// </summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    public TestSmtpServer(int? port = null, Func<string, bool>? refuses = null)
    {
        Port = port ?? Loopback.FreePort();
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(Messages));
        if (refuses is not null) services.Add(new DelegatingMailboxFilter((IMailbox to, IMailbox _) => !refuses(to.AsAddress())));
        running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
    }

    public int Port { get; }

    public ConcurrentQueue<MimeMessage> Messages { get; } = new();

    /// <summary>Waits until <paramref name="count"/> messages match, or fails after <paramref name="seconds"/>.</summary>
    public async Task<List<MimeMessage>> WaitForAsync(Func<MimeMessage, bool> match, int count, int seconds = 15)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var found = Messages.Where(match).ToList();
            if (found.Count >= count || DateTime.UtcNow > until) return found;
            await Task.Delay(50);
        }
    }


    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }
        stop.Dispose();
    }

    private sealed class Store(ConcurrentQueue<MimeMessage> messages) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            await using var stream = new MemoryStream(buffer.ToArray());
            messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
