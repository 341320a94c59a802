using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SafeguardingCases.Api.Features.Cases.List;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Faults;

/// <summary>
/// Commands committed together in one statement (<see cref="CaseAppendQueue"/>): what one of them does must not
/// depend on the others, what is left out appends nothing, and what is written is what Marten would have written.
/// </summary>
public sealed class GroupCommitTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly Actor Officer = new("group-commit-test", "Test Officer", [Roles.SafeguardingOfficer]);

    private CaseAppendQueue Queue => api.Services.GetRequiredService<CaseAppendQueue>();

    [Fact]
    public async Task Notes_committed_together_are_read_back_by_Marten_as_if_it_had_written_them()
    {
        var cases = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => api.OpenCase()));
        var officer = api.ClientFor(Roles.SafeguardingOfficer);

        // 8 notes a case at once, without If-Match: they are grouped, and a case's second note in a group waits for the next.
        var responses = await Task.WhenAll(cases.SelectMany(id => Enumerable.Range(0, 8).Select(n =>
            officer.PostJson($"/api/v1/cases/{id}/notes", new { text = $"note {n}" }))));
        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.Created);

        await using var session = api.Store.QuerySession();
        foreach (var id in cases)
        {
            var events = await api.EventsOf(id);
            events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, 9).Select(v => (long)v), "one version a note, none skipped");
            var stored = await session.LoadAsync<CaseStream>(id);
            var replayed = await session.Events.AggregateStreamAsync<CaseStream>(id);
            var serializer = api.Store.Options.Serializer();
            using (SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyScope.Enter(id))
                serializer.ToJson(stored!.State).ShouldBe(serializer.ToJson(replayed!.State), "the stored case is the events replayed");
            stored.ChainHead.ShouldBe(EventHashChain.HeaderOf(events[^1]));
            (await session.LoadAsync<CaseSummary>(id))!.Version.ShouldBe(9);
            var integrity = await (await api.ClientFor(Roles.Auditor).GetAsync($"/api/v1/cases/{id}/integrity")).Json();
            integrity["valid"]!.GetValue<bool>().ShouldBeTrue(integrity.ToJsonString());
        }
    }

    [Fact]
    public async Task A_command_PostgreSQL_refuses_fails_alone_and_the_rest_of_its_group_commits()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => api.OpenCase()));
        var appends = new List<CaseAppend>();
        foreach (var id in ids) appends.Add(await NoteAsync(id, id == ids[2] ? "\u0000" : "fine"));

        // Queued back to back, so the worker finds them waiting together (and if not, each must still end the same way).
        var results = appends.Select(a => Queue.AppendAsync(a)).ToArray();
        await Should.ThrowAsync<PostgresException>(() => results[2]);
        foreach (var i in new[] { 0, 1, 3, 4 }) (await results[i]).ShouldBe(AppendStatus.Appended);

        (await api.EventsOf(ids[2])).Count.ShouldBe(1, "the refused command appended nothing");
        foreach (var i in new[] { 0, 1, 3, 4 }) (await api.EventsOf(ids[i])).Count.ShouldBe(2);
    }

    [Fact]
    public async Task A_command_decided_on_a_version_that_moved_appends_nothing()
    {
        var id = await api.OpenCase();
        var stale = await NoteAsync(id, "decided on version 1");
        (await Queue.AppendAsync(await NoteAsync(id, "lands first"))).ShouldBe(AppendStatus.Appended);

        (await Queue.AppendAsync(stale)).ShouldBe(AppendStatus.VersionMoved);

        (await api.EventsOf(id)).Count.ShouldBe(2);
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<CaseStream>(id))!.State.Version.ShouldBe(2);
    }

    [Fact]
    public async Task A_command_whose_key_another_committed_appends_nothing_and_an_expired_key_is_reused()
    {
        var (first, second) = (await api.OpenCase(), await api.OpenCase());
        var key = $"group-commit-test:{Guid.NewGuid():N}";
        (await Queue.AppendAsync(await NoteAsync(first, "first", Answer(key, expiresInMs: 60_000)))).ShouldBe(AppendStatus.Appended);

        (await Queue.AppendAsync(await NoteAsync(second, "same key", Answer(key, expiresInMs: 60_000)))).ShouldBe(AppendStatus.KeyTaken);
        (await api.EventsOf(second)).Count.ShouldBe(1, "nothing of the command is stored");

        var expiring = $"group-commit-test:{Guid.NewGuid():N}";
        (await Queue.AppendAsync(await NoteAsync(first, "expired key", Answer(expiring, expiresInMs: -1)))).ShouldBe(AppendStatus.Appended);
        (await Queue.AppendAsync(await NoteAsync(second, "reuses it", Answer(expiring, expiresInMs: 60_000)))).ShouldBe(AppendStatus.Appended);
        await using var session = api.Store.QuerySession();
        (await session.LoadAsync<IdempotencyRecord>(expiring))!.Body.ShouldBe("reuses it", "the expired answer was replaced");
    }

    private IdempotencyRecord Answer(string id, long expiresInMs)
    {
        var now = api.Clock.GetCurrentInstant().ToUnixTimeMilliseconds();
        return new IdempotencyRecord { Id = id, RequestHash = "test", StatusCode = 201, CreatedAtUnixMs = now, ExpiresAtUnixMs = now + expiresInMs };
    }

    /// <summary>A note on the case as it stands, made as the command runner makes one.</summary>
    private async Task<CaseAppend> NoteAsync(Guid caseId, string text, IdempotencyRecord? answer = null)
    {
        var loaded = (await Queue.LoadAsync(caseId, CancellationToken.None))!;
        // A NUL is what PostgreSQL's jsonb refuses; the note's text is sealed (PRIVACY-AT-REST), so the poison goes in the
        // actor's name, which is not.
        var note = new NoteAdded(Guid.NewGuid(), text, text == "\u0000" ? Officer with { Name = "\u0000" } : Officer, api.Clock.GetCurrentInstant());
        if (answer is not null) answer.Body = text;
        var staged = api.Services.GetRequiredService<CaseStager>().Stage(caseId, loaded.Stream.State, loaded.Stream.ChainHead, [note]);
        using var scope = SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyScope.Enter(caseId);
        return Queue.Prepare(staged with { Answer = answer });
    }
}

/// <summary>
/// npgsql/npgsql#6391: an auto-prepared statement that fails can leave its connection's prepared statements out of step
/// with the server, so the connection's next use reads an unexpected message. Here every statement shares one
/// connection (a pool of one), the group statement is prepared, then one group fails in PostgreSQL: the groups after it
/// must still commit.
/// </summary>
public sealed class GroupCommitAfterAFailureTests(GroupCommitAfterAFailureTests.OneConnection api) : IClassFixture<GroupCommitAfterAFailureTests.OneConnection>
{
    [Fact]
    public async Task A_group_statement_that_failed_in_PostgreSQL_does_not_poison_the_next_ones()
    {
        var officer = api.ClientAs("officer-poison", Roles.SafeguardingOfficer);
        var id = await api.OpenCase();
        // One use before: the failing one is the second, the one on which Npgsql prepares the statement.
        await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = "before" }).ShouldBe(System.Net.HttpStatusCode.Created);

        var queue = api.Services.GetRequiredService<CaseAppendQueue>();
        var loaded = (await queue.LoadAsync(id, CancellationToken.None))!;
        // (The note's text is sealed; a NUL in the actor's name, which is not, is what jsonb refuses.)
        var bad = new NoteAdded(Guid.NewGuid(), "poison", new Actor("officer-poison", "\u0000", [Roles.SafeguardingOfficer]), api.Clock.GetCurrentInstant());
        using var scope = SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyScope.Enter(id);
        var append = queue.Prepare(api.Services.GetRequiredService<CaseStager>().Stage(id, loaded.Stream.State, loaded.Stream.ChainHead, [bad]));
        await Should.ThrowAsync<Npgsql.PostgresException>(() => queue.AppendAsync(append));

        // Before the fix the next group statement on that connection read an unexpected DataRow: a 500.
        for (var i = 0; i < 4; i++) await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = $"after {i}" }).ShouldBe(System.Net.HttpStatusCode.Created);
        (await api.EventsOf(id)).Count.ShouldBe(6);
    }

    public sealed class OneConnection : ApiFactory
    {
        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            ConnectionString += ";Maximum Pool Size=1";
        }
    }
}
