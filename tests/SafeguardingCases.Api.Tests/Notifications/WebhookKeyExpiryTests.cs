using System.Net;
using NodaTime;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>
/// An Idempotency-Key on a webhook command past <c>Idempotency__Expiry</c>. Its own API and clock: moving a clock a day
/// on makes every deadline in its database overdue at once, which would slow the other webhook tests' deliveries.
/// </summary>
public sealed class WebhookKeyExpiryTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Past_its_expiry_a_key_registers_anew_and_is_then_remembered_in_place_of_the_old_answer()
    {
        var lead = api.ClientAs("lead-1", Roles.SafeguardingLead);
        var url = $"https://example.org/hook-{Guid.NewGuid():N}";
        var first = await (await lead.PostJson("/api/v1/webhooks", new { url, events = new[] { "CaseClosed" } }, idempotencyKey: "register-1")
            .ShouldBe(HttpStatusCode.Created)).Json();

        api.Clock.Advance(Duration.FromHours(25));
        var later = await (await lead.PostJson("/api/v1/webhooks", new { url, events = new[] { "EscalationMade" } }, idempotencyKey: "register-1")
            .ShouldBe(HttpStatusCode.Created)).Json();
        later["webhookId"]!.GetValue<Guid>().ShouldNotBe(first["webhookId"]!.GetValue<Guid>());
        var laterAgain = await lead.PostJson("/api/v1/webhooks", new { url, events = new[] { "EscalationMade" } }, idempotencyKey: "register-1")
            .ShouldBe(HttpStatusCode.Created);
        laterAgain.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        (await laterAgain.Json())["webhookId"]!.GetValue<Guid>().ShouldBe(later["webhookId"]!.GetValue<Guid>());
    }
}
