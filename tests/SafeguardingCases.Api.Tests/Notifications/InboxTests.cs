using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Notifications;

/// <summary>GET /notifications and acknowledgements before any alert exists, and their refusals.</summary>
public sealed class InboxTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task An_inbox_with_no_alerts_is_empty_and_an_unknown_alert_is_404()
    {
        var officer = api.ClientAs("officer-new", Roles.SafeguardingOfficer);
        var inbox = await (await officer.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK)).Json();
        inbox["items"]!.AsArray().Count.ShouldBe(0);
        inbox["unacknowledged"]!.GetValue<long>().ShouldBe(0);
        inbox["next"].ShouldBeNull();
        await (await officer.PostJson($"/api/v1/notifications/{Guid.NewGuid()}/acknowledgement", new { })).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await officer.PostJson("/api/v1/notifications/not-a-guid/acknowledgement", new { })).ShouldBeProblem(HttpStatusCode.NotFound);
        await (await officer.GetAsync("/api/v1/notifications?limit=0")).ShouldBeProblem(HttpStatusCode.BadRequest);
        await (await officer.GetAsync("/api/v1/notifications?cursor=nonsense")).ShouldBeProblem(HttpStatusCode.BadRequest);
        (await api.ClientFor().GetAsync("/api/v1/notifications")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
