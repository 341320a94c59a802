using Marten;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Telemetry;

namespace SafeguardingCases.Api.Features.Webhooks;

/// <summary>
/// Delivers the webhook outbox: each batch claimed with <c>FOR UPDATE SKIP LOCKED</c> (one instance per delivery at a
/// time), posted with the Standard Webhooks headers (<c>webhook-id</c>, the same on every attempt; <c>webhook-timestamp</c>;
/// <c>webhook-signature</c>, one <c>v1,</c> signature per secret that signs now), and marked delivered on a 2xx.
/// Anything else is tried again on the Standard Webhooks schedule, for up to three days; then it is given up (and stays
/// listed, redeliverable). Only the status or the failure's type is kept, never a response body.
/// <para>
/// An endpoint that does not answer holds up no other: a batch's deliveries are posted at once, and up to
/// <see cref="BatchesInFlight"/> batches are out at a time, so while one waits out a silent endpoint (up to the client's
/// 10 s timeout) the next batch is claimed and delivered. A batch keeps its claim (its transaction) until its results
/// are written; stopped or killed before that, its deliveries are claimed again, with the same <c>webhook-id</c>.
/// </para>
/// </summary>
public sealed class WebhookSender(IDocumentStore store, IClock clock, IHttpClientFactory http, SafeguardingMetrics metrics,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const int BatchSize = 20;
    public const int BatchesInFlight = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(BatchesInFlight);
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                Batch? batch = null;
                try
                {
                    batch = await ClaimAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    slots.Release();
                    logger.LogWarning("Could not deliver webhooks ({Error}); will try again", e.GetType().Name);
                    await Task.Delay(2000, stoppingToken);
                    continue;
                }
                if (batch is null)
                {
                    slots.Release();
                    await Task.Delay(250, stoppingToken);
                    continue;
                }
                running.Add(DeliverAndReleaseAsync(batch, slots, stoppingToken));
            }
        }
        finally
        {
            // Batches still out end (or are cancelled and roll back) before the store they write to goes.
            await Task.WhenAll(running);
        }
    }

    private async Task DeliverAndReleaseAsync(Batch batch, SemaphoreSlim slots, CancellationToken ct)
    {
        try
        {
            await DeliverAsync(batch, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not record webhook deliveries ({Error}); they will be tried again", e.GetType().Name);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the batch's transaction rolls back and its deliveries wait for the next claim.
        }
        finally
        {
            await batch.Session.DisposeAsync();
            slots.Release();
        }
    }

    /// <summary>The deliveries claimed by one open transaction, with their endpoints.</summary>
    private sealed record Batch(IDocumentSession Session, IReadOnlyList<WebhookDelivery> Due, Dictionary<Guid, WebhookEndpoint> Endpoints, Instant Now);

    private async Task<Batch?> ClaimAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        var session = store.LightweightSession();
        try
        {
            await session.BeginTransactionAsync(ct);
            var due = await session.QueryAsync<WebhookDelivery>(
                $"where d.next_attempt_at_unix_ms <= ? order by d.next_attempt_at_unix_ms limit {BatchSize} for update skip locked", ct, now.ToUnixTimeMilliseconds());
            if (due.Count == 0)
            {
                await session.DisposeAsync();
                return null;
            }
            var endpoints = (await session.LoadManyAsync<WebhookEndpoint>(ct, due.Select(d => d.WebhookId).Distinct())).ToDictionary(e => e.Id);
            return new Batch(session, due, endpoints, now);
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task DeliverAsync(Batch batch, CancellationToken ct)
    {
        var client = http.CreateClient(HttpClientName);
        await Task.WhenAll(batch.Due.Select(delivery => DeliverOneAsync(client, delivery, batch.Endpoints.GetValueOrDefault(delivery.WebhookId), batch.Now, ct)));
        foreach (var delivery in batch.Due) batch.Session.Update(delivery);
        await batch.Session.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>Posts one delivery and records on it how that went; whatever goes wrong is this delivery's alone.</summary>
    private async Task DeliverOneAsync(HttpClient client, WebhookDelivery delivery, WebhookEndpoint? endpoint, Instant now, CancellationToken ct)
    {
        if (endpoint is null)
        {
            // The endpoint was deleted: nothing to deliver to.
            delivery.NextAttemptAtUnixMs = null;
            delivery.GaveUp = true;
            return;
        }
        delivery.Attempts++;
        try
        {
            var timestamp = clock.GetCurrentInstant().ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new StringContent(delivery.Body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", delivery.MessageId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", string.Join(' ', endpoint.SigningSecrets(now).Select(s => WebhookSignature.Sign(s, delivery.MessageId, timestamp, delivery.Body))));
            using var response = await client.SendAsync(request, ct);
            delivery.LastStatus = (int)response.StatusCode;
            delivery.LastError = null;
            if (response.IsSuccessStatusCode)
            {
                delivery.DeliveredAtUnixMs = clock.GetCurrentInstant().ToUnixTimeMilliseconds();
                delivery.NextAttemptAtUnixMs = null;
                metrics.AlertSent("Webhook");
            }
            else Retry(delivery, now);
        }
        catch (HttpRequestException e) when (e.InnerException is WebhookAddressRefusedException)
        {
            // Never deliverable: not tried again (the lead sees it given up, with why, in the deliveries list).
            delivery.LastStatus = null;
            delivery.LastError = nameof(WebhookAddressRefusedException);
            delivery.NextAttemptAtUnixMs = null;
            delivery.GaveUp = true;
            metrics.AlertFailed("Webhook");
            logger.LogWarning("A webhook delivery was refused: its endpoint's host is a link-local, unspecified or multicast address");
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Whatever went wrong with this delivery (no answer, a timeout, an endpoint's address that no longer parses)
            // is this delivery's: the rest of the batch goes on.
            delivery.LastStatus = null;
            delivery.LastError = e.GetType().Name;
            Retry(delivery, now);
        }
    }

    private void Retry(WebhookDelivery delivery, Instant now)
    {
        metrics.AlertFailed("Webhook");
        var wait = WebhookDelivery.Backoff[Math.Min(delivery.Attempts - 1, WebhookDelivery.Backoff.Length - 1)];
        var next = (now + wait).ToUnixTimeMilliseconds();
        if (next > delivery.GiveUpAtUnixMs)
        {
            delivery.NextAttemptAtUnixMs = null;
            delivery.GaveUp = true;
            logger.LogWarning("A webhook delivery was given up after {Attempts} attempts over three days", delivery.Attempts);
        }
        else delivery.NextAttemptAtUnixMs = next;
    }
}
