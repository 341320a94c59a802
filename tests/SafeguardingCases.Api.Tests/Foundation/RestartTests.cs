using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>Idempotency keys live in PostgreSQL: a second API instance on the same database honours them.</summary>
public sealed class RestartTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_key_used_on_one_instance_is_honoured_by_another()
    {
        var id = await api.OpenCase();
        await api.ClientFor(Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, idempotencyKey: "k").ShouldBe(HttpStatusCode.Created);

        await using var second = new SecondInstance(api.ConnectionString);
        var replay = await second.ClientFor(Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "x" }, idempotencyKey: "k").ShouldBe(HttpStatusCode.Created);

        replay.Headers.Contains("Idempotent-Replayed").ShouldBeTrue();
        (await api.EventsOf(id)).Count.ShouldBe(2);
    }

    private sealed class SecondInstance(string connectionString) : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["ConnectionStrings:Marten"] = connectionString };
    }
}
