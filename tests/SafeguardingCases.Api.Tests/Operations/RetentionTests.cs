using Marten;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;

namespace SafeguardingCases.Api.Tests.Operations;

/// <summary>Retention: expired Idempotency-Key answers and access-log records past AccessLog__Retention are deleted, in batches, and nothing younger.</summary>
public sealed class RetentionTests(RetentionTests.ShortRetention api) : IClassFixture<RetentionTests.ShortRetention>
{
    [Fact]
    public async Task Expired_keys_and_access_records_past_retention_are_deleted_in_batches_and_nothing_younger()
    {
        var now = api.Clock.GetCurrentInstant();
        var old = now - Duration.FromDays(31);
        var young = now - Duration.FromDays(29);
        var oldReads = Enumerable.Range(0, RetentionCleanup.BatchSize * 2 + 500).Select(_ => Read(old)).ToList();
        var youngReads = Enumerable.Range(0, 300).Select(_ => Read(young)).ToList();
        await api.Store.BulkInsertAsync(oldReads);
        await api.Store.BulkInsertAsync(youngReads);
        await api.Store.BulkInsertAsync(new[]
        {
            new IdempotencyRecord { Id = "expired", ExpiresAtUnixMs = (now - Duration.FromMinutes(1)).ToUnixTimeMilliseconds() },
            new IdempotencyRecord { Id = "live", ExpiresAtUnixMs = (now + Duration.FromHours(1)).ToUnixTimeMilliseconds() },
        });

        var (keys, reads) = await api.Services.GetRequiredService<RetentionCleanup>().RunOnceAsync(CancellationToken.None);

        keys.ShouldBe(1);
        reads.ShouldBe(oldReads.Count);
        await using var session = api.Store.QuerySession();
        (await session.Query<CaseAccessRecord>().CountAsync()).ShouldBe(youngReads.Count);
        (await session.LoadAsync<IdempotencyRecord>("live")).ShouldNotBeNull();
        (await session.LoadAsync<IdempotencyRecord>("expired")).ShouldBeNull();
        (await api.Services.GetRequiredService<RetentionCleanup>().RunOnceAsync(CancellationToken.None)).ShouldBe((0L, 0L));
    }

    private static CaseAccessRecord Read(Instant at) => new()
    {
        Id = Guid.NewGuid(), CaseId = Guid.NewGuid(), Subject = "s", Name = "n", Route = "GET /api/v1/cases/{id}", At = at,
        AtUnixMs = at.ToUnixTimeMilliseconds(), Found = true, How = "Role", Status = 200,
    };

    public sealed class ShortRetention : ApiFactory
    {
        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["AccessLog:Retention"] = "P30D" };
    }
}
