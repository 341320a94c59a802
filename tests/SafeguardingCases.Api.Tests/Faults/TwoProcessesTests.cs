using System.Net;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Two API processes on one database. Each remembers the cases it last committed, so the next command on one needs
/// no read; what the other process wrote since must still decide: a command decided on a remembered case commits
/// only at that version, and a refusal (or 412) decided on it is decided again on the case as stored.
/// </summary>
public sealed class TwoProcessesTests(TwoProcessesTests.TwoApis api) : IClassFixture<TwoProcessesTests.TwoApis>
{
    private readonly HttpClient here = api.ClientFor(Roles.SafeguardingOfficer, Roles.SafeguardingLead);
    private readonly HttpClient there = api.Other.ClientFor(Roles.SafeguardingOfficer, Roles.SafeguardingLead);

    [Fact]
    public async Task A_case_the_other_process_closed_refuses_a_note_here_though_this_process_remembers_it_open()
    {
        var id = await api.OpenCase();
        await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "remembered open" }).ShouldBe(HttpStatusCode.Created);
        await there.PostJson($"/api/v1/cases/{id}/close", new { reason = "Closed by the other process" }).ShouldBe(HttpStatusCode.OK);

        var refused = await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "after the close" });

        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await api.EventsOf(id)).Count.ShouldBe(3, "the refused note appended nothing");
    }

    [Fact]
    public async Task A_case_the_other_process_reopened_takes_a_note_here_though_this_process_remembers_it_closed()
    {
        var id = await api.OpenCase();
        await here.PostJson($"/api/v1/cases/{id}/close", new { reason = "Closed here" }).ShouldBe(HttpStatusCode.OK);
        (await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "refused while closed" })).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        await there.PostJson($"/api/v1/cases/{id}/reopen", new { reason = "Reopened by the other process" }).ShouldBe(HttpStatusCode.OK);

        var note = await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "after the reopen" }).ShouldBe(HttpStatusCode.Created);

        (await note.Json())["version"]!.GetValue<long>().ShouldBe(4);
    }

    [Fact]
    public async Task An_if_match_of_the_stored_version_is_not_412_here_though_this_process_remembers_an_older_one()
    {
        var id = await api.OpenCase();
        await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "remembered at 2" }).ShouldBe(HttpStatusCode.Created);
        await there.PostJson($"/api/v1/cases/{id}/notes", new { text = "version 3, there" }).ShouldBe(HttpStatusCode.Created);

        await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "version 4, here" }, ifMatch: "\"3\"").ShouldBe(HttpStatusCode.Created);
        await here.PostJson($"/api/v1/cases/{id}/notes", new { text = "stale" }, ifMatch: "\"3\"").ShouldBe(HttpStatusCode.PreconditionFailed);

        var integrity = await (await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/cases/{id}/integrity")).Json();
        integrity["valid"]!.GetValue<bool>().ShouldBeTrue(integrity.ToJsonString());
    }

    [Fact]
    public async Task Sixteen_writers_racing_on_four_cases_through_both_processes_are_never_refused_and_every_note_lands_once()
    {
        var cases = new List<Guid>();
        for (var i = 0; i < 4; i++) cases.Add(await api.OpenCase());
        // Writers alternate between the processes, so each case is written by both (as behind a load balancer).
        var landed = await RacingWriters.ShouldAllLandAsync(api, cases,
            [w => api.ClientAs($"racer-{w}", Roles.SafeguardingOfficer), w => api.Other.ClientAs($"racer-{w}", Roles.SafeguardingOfficer)]);
        landed.ShouldBeGreaterThan(100);
    }

    /// <summary>This test's API and a second one (<see cref="Other"/>) on the same database.</summary>
    public sealed class TwoApis : ApiFactory
    {
        private readonly SameDatabase other = new();

        public ApiFactory Other => other;

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            other.Use(ConnectionString);
        }

        public override async ValueTask DisposeAsync()
        {
            await other.DisposeAsync();
            await base.DisposeAsync();
        }

        private sealed class SameDatabase : ApiFactory
        {
            public void Use(string connectionString) => ConnectionString = connectionString;

            public override ValueTask InitializeAsync() => ValueTask.CompletedTask;
        }
    }
}
