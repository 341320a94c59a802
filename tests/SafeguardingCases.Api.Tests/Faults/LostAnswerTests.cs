using System.Net;
using Marten;
using Marten.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// The commit lands but its acknowledgement is lost on the wire (the connection drops after PostgreSQL committed).
/// The runner must not decide and append again: it finds its own events and answers from them.
/// </summary>
public sealed class LostAnswerTests(LostAnswerTests.LossyDatabase api) : IClassFixture<LostAnswerTests.LossyDatabase>
{
    [Fact]
    public async Task A_commit_whose_answer_was_lost_is_not_appended_twice()
    {
        var id = await api.OpenCase();
        api.Loss.Arm(times: 1);

        var response = await api.ClientFor(Roles.SafeguardingOfficer).PostJson($"/api/v1/cases/{id}/notes", new { text = "once" })
            .ShouldBe(HttpStatusCode.Created);

        api.Loss.Fired.ShouldBe(1, "the commit's answer was lost once");
        (await api.EventsOf(id)).Count.ShouldBe(2, "the note is recorded once, not once per try");
        (await response.Json())["version"]!.GetValue<long>().ShouldBe(2);
    }

    [Fact]
    public async Task A_keyed_open_whose_answer_was_lost_opens_one_case()
    {
        var before = await api.EventCountAll();
        api.Loss.Arm(times: 1);

        var first = await api.ClientFor(Roles.SafeguardingOfficer).PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "lost-open")
            .ShouldBe(HttpStatusCode.Created);
        var again = await api.ClientFor(Roles.SafeguardingOfficer).PostJson("/api/v1/cases", Scenario.OpenCaseBody(), idempotencyKey: "lost-open")
            .ShouldBe(HttpStatusCode.Created);

        api.Loss.Fired.ShouldBe(1);
        again.Headers.Location.ShouldBe(first.Headers.Location);
        (await api.EventCountAll()).ShouldBe(before + 1);
    }

    /// <summary>Throws a connection failure after the transaction committed, as a dropped connection would look.</summary>
    public sealed class AnswerLoss : DocumentSessionListenerBase, ICaseAppendListener
    {
        private int armed;
        private int fired;

        public int Fired => Volatile.Read(ref fired);

        public void Arm(int times)
        {
            Volatile.Write(ref fired, 0);
            Volatile.Write(ref armed, times);
        }

        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token) => Lose();

        public Task AfterCommitAsync(IReadOnlyList<CaseAppend> committed, CancellationToken ct) => Lose();

        private Task Lose()
        {
            if (Interlocked.Decrement(ref armed) < 0) return Task.CompletedTask;
            Interlocked.Increment(ref fired);
            throw new Npgsql.NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"));
        }
    }

    public sealed class LossyDatabase : ApiFactory
    {
        public AnswerLoss Loss { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => 
            {
                services.ConfigureMarten(o => o.Listeners.Add(Loss));
                services.AddSingleton<ICaseAppendListener>(Loss);
            });
        }
    }
}
