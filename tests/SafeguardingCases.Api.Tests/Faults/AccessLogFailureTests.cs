using System.Net;
using Marten;
using Microsoft.AspNetCore.Hosting;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>ACCESS-LOG under a fault: a read whose access record cannot be written is not answered (503), never sent unlogged.</summary>
public sealed class AccessLogFailureTests(AccessLogFailureTests.FailingLog api) : IClassFixture<AccessLogFailureTests.FailingLog>
{
    [Theory]
    [InlineData("")]
    [InlineData("/policy")]
    [InlineData("/history")]
    public async Task ACCESS_LOG_a_read_whose_log_cannot_be_written_is_withheld_with_503(string route)
    {
        var id = await api.OpenCase();
        var reader = api.ClientFor(Roles.SafeguardingLead);
        api.Failure.Arm(times: 1);

        var response = await reader.GetAsync($"/api/v1/cases/{id}{route}");

        var problem = await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
        problem.ShouldCarryNoInternals();
        problem.ToJsonString().ShouldNotContain("handle-9", customMessage: "no case detail leaks with the refusal");
        response.Headers.ETag.ShouldBeNull("nothing of the answer that was held back goes out");
        api.Failure.Fired.ShouldBe(1);

        await reader.GetAsync($"/api/v1/cases/{id}{route}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ACCESS_LOG_a_list_whose_log_cannot_be_written_is_withheld_with_503()
    {
        await api.OpenCase();
        api.Failure.Arm(times: 1);
        var response = await api.ClientFor(Roles.SafeguardingOfficer).GetAsync("/api/v1/cases");
        await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable);
        api.Failure.Fired.ShouldBe(1);
    }

    /// <summary>Fails the commit of access records as a dropped connection would.</summary>
    public sealed class LogFailure : DocumentSessionListenerBase
    {
        private int armed;
        private int fired;

        public int Fired => Volatile.Read(ref fired);

        public void Arm(int times)
        {
            Volatile.Write(ref fired, 0);
            Volatile.Write(ref armed, times);
        }

        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
        {
            if (!session.PendingChanges.InsertsFor<CaseAccessRecord>().Any()) return Task.CompletedTask;
            if (Interlocked.Decrement(ref armed) < 0) return Task.CompletedTask;
            Interlocked.Increment(ref fired);
            throw new Npgsql.NpgsqlException("Exception while writing to stream", new IOException("Connection reset by peer"));
        }
    }

    public sealed class FailingLog : ApiFactory
    {
        public LogFailure Failure { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.ConfigureMarten(o => o.Listeners.Add(Failure)));
        }
    }
}
