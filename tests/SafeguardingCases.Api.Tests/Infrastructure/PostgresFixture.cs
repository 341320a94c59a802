using SafeguardingCases.Testing;

[assembly: AssemblyFixture(typeof(SafeguardingCases.Api.Tests.Infrastructure.PostgresFixture))]

namespace SafeguardingCases.Api.Tests.Infrastructure;

/// <summary>Starts the run's PostgreSQL before the first test class and stops it after the last.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public async ValueTask InitializeAsync() => await PostgresServer.GetAsync();

    public async ValueTask DisposeAsync() => await PostgresServer.StopAsync();
}
