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
/// </summary>
public sealed class WebhookSender(IDocumentStore store, IClock clock, IHttpClientFactory http, SafeguardingMetrics metrics,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    public const int BatchSize = 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await DeliverDueAsync(stoppingToken) == 0) await Task.Delay(250, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Could not deliver webhooks ({Error}); will try again", e.GetType().Name);
                await Task.Delay(2000, stoppingToken);
            }
        }
    }

    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var now = clock.GetCurrentInstant();
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(ct);
        var due = await session.QueryAsync<WebhookDelivery>(
            $"where d.next_attempt_at_unix_ms <= ? order by d.next_attempt_at_unix_ms limit {BatchSize} for update skip locked", ct, now.ToUnixTimeMilliseconds());
        if (due.Count == 0) return 0;
        var endpoints = (await session.LoadManyAsync<WebhookEndpoint>(ct, due.Select(d => d.WebhookId).Distinct())).ToDictionary(e => e.Id);
        var client = http.CreateClient(HttpClientName);
        foreach (var delivery in due)
        {
            if (!endpoints.TryGetValue(delivery.WebhookId, out var endpoint))
            {
                // The endpoint was deleted: nothing to deliver to.
                delivery.NextAttemptAtUnixMs = null;
                delivery.GaveUp = true;
                session.Update(delivery);
                continue;
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
            session.Update(delivery);
        }
        await session.SaveChangesAsync(CancellationToken.None);
        return due.Count;
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
