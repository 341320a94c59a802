using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Ledger;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Ledger;

/// <summary>
/// The signed ledger over every event of every case, over HTTP against real PostgreSQL: an untouched log verifies,
/// proofs check with RFC 9162 verifiers, and every change made straight in PostgreSQL after a checkpoint is caught
/// by verifying against it, even one that recomputed the case's own hash chain. Each test has a database of its own.
/// </summary>
public sealed class LedgerTests
{
    public enum Tamper { EditData, DeleteEvent, InsertEvent, DeleteCase, RecomputeCaseChain }

    [Fact]
    public async Task An_untouched_ledger_verifies_and_its_proofs_check_out()
    {
        await using var api = await Fresh();
        var auditor = api.ClientFor(Roles.Auditor);
        var first = await Case(api, notes: 3);
        var small = await Checkpoint(auditor);
        await Case(api, notes: 5);
        var large = await Checkpoint(auditor);
        large.TreeSize.ShouldBeGreaterThan(small.TreeSize);

        var key = await (await auditor.GetAsync("/api/v1/audit/checkpoints/public-key").ShouldBe(HttpStatusCode.OK)).Json();
        using var publicKey = ECDsa.Create();
        publicKey.ImportFromPem(key["publicKeyPem"]!.GetValue<string>());
        small.Verify(publicKey).ShouldBeTrue();
        large.Verify(publicKey).ShouldBeTrue();

        foreach (var size in new[] { small.TreeSize, large.TreeSize })
        {
            var verified = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={size}").ShouldBe(HttpStatusCode.OK)).Json();
            verified["valid"]!.GetValue<bool>().ShouldBeTrue();
        }

        var inclusion = await (await auditor.GetAsync($"/api/v1/audit/proofs/inclusion?caseId={first}&version=2&treeSize={large.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        MerkleTreeTests.ProvesInclusion(inclusion, large).ShouldBeTrue();

        var consistency = await (await auditor.GetAsync($"/api/v1/audit/proofs/consistency?from={small.TreeSize}&to={large.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        MerkleTreeTests.ProvesConsistency(consistency, small, large).ShouldBeTrue();
        api.Services.GetRequiredService<EventLedger>().TreesBuilt.ShouldBe(0, "the trees were kept when signed: no proof rebuilt one");
    }

    [Fact]
    public async Task A_proof_builds_a_checkpoints_tree_once_and_verify_runs_one_at_a_time()
    {
        await using var api = await Fresh();
        var auditor = api.ClientFor(Roles.Auditor);
        var first = await Case(api, notes: 4);
        var checkpoint = await Checkpoint(auditor);
        // Another instance's checkpoint (or this one's before a restart): not kept here yet.
        var ledger = api.Services.GetRequiredService<EventLedger>();
        var other = new EventLedger(api.Services.GetRequiredService<NpgsqlDataSource>(), api.Store, ECDsa.Create(ECCurve.NamedCurves.nistP256),
            new LedgerOptions(), api.Clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<EventLedger>.Instance);
        await using (var session = api.Store.QuerySession())
        {
            var record = (await session.LoadAsync<CheckpointRecord>(checkpoint.TreeSize))!;
            var trees = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => other.TreeAsync(record, CancellationToken.None)));
            trees.Distinct().Count().ShouldBe(1, "eight proofs at once share one tree");
            other.TreesBuilt.ShouldBe(1);
        }

        using (var turn = ledger.TryBeginVerification())
        {
            turn.ShouldNotBeNull();
            var busy = await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={checkpoint.TreeSize}");
            (await busy.ShouldBeProblem(HttpStatusCode.TooManyRequests))["type"]!.GetValue<string>().ShouldBe("/problems/rate-limited");
            busy.Headers.RetryAfter!.Delta!.Value.TotalSeconds.ShouldBeGreaterThanOrEqualTo(1);
        }
        var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={checkpoint.TreeSize}")));
        both.ShouldContain(r => r.StatusCode == HttpStatusCode.OK);
        both.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.TooManyRequests);
        await auditor.GetAsync($"/api/v1/audit/proofs/inclusion?caseId={first}&version=3&treeSize={checkpoint.TreeSize}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_proof_reads_back_only_the_chunks_it_needs_and_a_chunk_changed_since_signing_proves_nothing()
    {
        // ApiFactory keeps trees in chunks of two events, so this short log has several chunks to read back.
        await using var api = await Fresh();
        var auditor = api.ClientFor(Roles.Auditor);
        await Case(api, notes: 3);
        await Case(api, notes: 3);
        var checkpoint = await Checkpoint(auditor);
        var leaves = new List<(Guid CaseId, long Version)>();
        await using (var db = new NpgsqlConnection(api.ConnectionString))
        {
            await db.OpenAsync();
            await using (var read = new NpgsqlCommand(
                             $"select stream_id, version from mt_events where mt_dotnet_type like '{EventLedger.CaseEventTypePrefix}%' order by seq_id", db))
            await using (var reader = await read.ExecuteReaderAsync())
                while (await reader.ReadAsync()) leaves.Add((reader.GetGuid(0), reader.GetInt64(1)));
            leaves.Count.ShouldBe((int)checkpoint.TreeSize);
            // Leaf 2's stored hash is changed after the checkpoint: leaves 2 and 3 are the second chunk.
            await using var edit = new NpgsqlCommand(
                "update mt_events set headers = jsonb_set(headers, '{hash}', to_jsonb(repeat('0', 64))) where stream_id = @id and version = @v", db);
            edit.Parameters.AddWithValue("id", leaves[2].CaseId);
            edit.Parameters.AddWithValue("v", leaves[2].Version);
            (await edit.ExecuteNonQueryAsync()).ShouldBe(1);
        }
        string Inclusion(int leaf) => $"/api/v1/audit/proofs/inclusion?caseId={leaves[leaf].CaseId}&version={leaves[leaf].Version}&treeSize={checkpoint.TreeSize}";

        foreach (var leaf in new[] { 0, 1, 4, 5, leaves.Count - 1 })
        {
            var proof = await (await auditor.GetAsync(Inclusion(leaf)).ShouldBe(HttpStatusCode.OK)).Json();
            proof["leafIndex"]!.GetValue<long>().ShouldBe(leaf);
            MerkleTreeTests.ProvesInclusion(proof, checkpoint).ShouldBeTrue($"leaf {leaf}, in a chunk as signed");
        }
        // The changed leaf, and its unchanged neighbour, whose proof would need the changed chunk.
        foreach (var leaf in new[] { 2, 3 }) await (await auditor.GetAsync(Inclusion(leaf))).ShouldBeProblem(HttpStatusCode.NotFound);
        // A consistency proof from size 3 needs the second chunk too; from size 4 it needs none below a whole chunk.
        await (await auditor.GetAsync($"/api/v1/audit/proofs/consistency?from=3&to={checkpoint.TreeSize}")).ShouldBeProblem(HttpStatusCode.NotFound);
        await auditor.GetAsync($"/api/v1/audit/proofs/consistency?from=4&to={checkpoint.TreeSize}").ShouldBe(HttpStatusCode.OK);
        // The case's own chain says which stored hash no longer follows from its event.
        var integrity = await (await auditor.GetAsync($"/api/v1/cases/{leaves[2].CaseId}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
        integrity["firstBrokenVersion"]!.GetValue<long>().ShouldBe(leaves[2].Version);
    }

    [Fact]
    public async Task A_verification_remembers_a_bounded_number_of_changed_hashes_and_past_it_calls_the_log_invalid()
    {
        await using var api = await Fresh();
        var victim = await Case(api, notes: 3);
        var checkpoint = await Checkpoint(api.ClientFor(Roles.Auditor));
        // Three stored hashes rewritten, the events' data untouched: the data still makes the signed tree.
        await using (var db = new NpgsqlConnection(api.ConnectionString))
        {
            await db.OpenAsync();
            await using var edit = new NpgsqlCommand(
                "update mt_events set headers = jsonb_set(headers, '{hash}', to_jsonb(repeat('0', 64))) where stream_id = @id and version >= 2", db);
            edit.Parameters.AddWithValue("id", victim);
            (await edit.ExecuteNonQueryAsync()).ShouldBe(3);
        }
        CheckpointRecord record;
        await using (var session = api.Store.QuerySession()) record = (await session.LoadAsync<CheckpointRecord>(checkpoint.TreeSize))!;
        var ledger = api.Services.GetRequiredService<EventLedger>();
        (await ledger.VerifyAsync(record, CancellationToken.None)).Valid.ShouldBeTrue("three changed hashes are remembered and the root recomputed");
        // The same public key, so only the bound can make it invalid.
        using var key = ECDsa.Create();
        key.ImportFromPem(ledger.PublicKeyPem);
        using var same = new EventLedger(api.Services.GetRequiredService<NpgsqlDataSource>(), api.Store, key, new LedgerOptions(), NodaTime.SystemClock.Instance,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EventLedger>.Instance) { MaxDifferingRemembered = 3 };
        (await same.VerifyAsync(record, CancellationToken.None)).Valid.ShouldBeTrue("as many as it remembers");
        using var bounded = new EventLedger(api.Services.GetRequiredService<NpgsqlDataSource>(), api.Store, key, new LedgerOptions(), NodaTime.SystemClock.Instance,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<EventLedger>.Instance) { MaxDifferingRemembered = 2 };
        var (valid, bad) = await bounded.VerifyAsync(record, CancellationToken.None);
        valid.ShouldBeFalse("more changed hashes than it remembers");
        bad!.Value.CaseId.ShouldBe(victim);
    }

    [Theory]
    [InlineData(Tamper.EditData)]
    [InlineData(Tamper.DeleteEvent)]
    [InlineData(Tamper.InsertEvent)]
    [InlineData(Tamper.DeleteCase)]
    [InlineData(Tamper.RecomputeCaseChain)]
    public async Task A_change_made_in_PostgreSQL_after_a_checkpoint_is_detected(Tamper tamper)
    {
        await using var api = await Fresh();
        var auditor = api.ClientFor(Roles.Auditor);
        await Case(api, notes: 2);
        var victim = await Case(api, notes: 3);
        await Case(api, notes: 2);
        var checkpoint = await Checkpoint(auditor);
        var consistency = $"/api/v1/audit/proofs/consistency?from=1&to={checkpoint.TreeSize}";
        var provedBefore = (await (await auditor.GetAsync(consistency).ShouldBe(HttpStatusCode.OK)).Json())["proof"]!.ToJsonString();

        await using (var db = new NpgsqlConnection(api.ConnectionString))
        {
            await db.OpenAsync();
            var sql = tamper switch
            {
                Tamper.EditData => "update mt_events set data = jsonb_set(data, '{text}', '\"something else\"') where stream_id = @id and version = 2",
                Tamper.DeleteEvent => "delete from mt_events where stream_id = @id and version = 3",
                Tamper.InsertEvent => "insert into mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers) " +
                                      "select 0, gen_random_uuid(), stream_id, 99, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers " +
                                      "from mt_events where stream_id = @id and version = 2",
                Tamper.DeleteCase => "delete from mt_events where stream_id = @id; delete from mt_streams where id = @id; " +
                                     "delete from mt_doc_casestream where id = @id; delete from mt_doc_casesummary where id = @id",
                _ => "update mt_events set data = jsonb_set(data, '{text}', '\"something else\"') where stream_id = @id and version = 2",
            };
            await using var command = new NpgsqlCommand(sql, db);
            command.Parameters.AddWithValue("id", victim);
            (await command.ExecuteNonQueryAsync()).ShouldBeGreaterThan(0);
            if (tamper == Tamper.RecomputeCaseChain) await RecomputeChain(db, victim);
        }

        if (tamper == Tamper.RecomputeCaseChain)
        {
            var perCase = await (await auditor.GetAsync($"/api/v1/cases/{victim}/integrity").ShouldBe(HttpStatusCode.OK)).Json();
            perCase["valid"]!.GetValue<bool>().ShouldBeTrue("the attacker rewrote the case's own chain, so the per-case check passes");
        }
        var verified = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={checkpoint.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        verified["valid"]!.GetValue<bool>().ShouldBeFalse($"{tamper} must be detected");
        if (tamper is Tamper.EditData) verified["firstBadLeaf"]!["caseId"]!.GetValue<Guid>().ShouldBe(victim);
        if (tamper is Tamper.DeleteEvent or Tamper.InsertEvent or Tamper.DeleteCase)
        {
            // A proof is of the signed tree: from the tree kept since it was signed (the same proof as before the
            // change), or, built again from a log that no longer makes it, none at all. Never a proof of the altered log.
            var after = await auditor.GetAsync(consistency);
            if (after.StatusCode == HttpStatusCode.OK) (await after.Json())["proof"]!.ToJsonString().ShouldBe(provedBefore);
            else await after.ShouldBeProblem(HttpStatusCode.NotFound);
            // A removed event is no longer a leaf of the signed tree: no inclusion proof for it.
            if (tamper is not Tamper.InsertEvent) await (await auditor.GetAsync($"/api/v1/audit/proofs/inclusion?caseId={victim}&version=3&treeSize={checkpoint.TreeSize}"))
                .ShouldBeProblem(HttpStatusCode.NotFound);
        }

        // And the ledger never forks: a change to the signed hashes stops the next checkpoint (409). An edit of an
        // event's data alone leaves the stored hashes, so the next tree still extends the last; verifying it fails too.
        await Case(api, notes: 1);
        var next = await auditor.PostAsync("/api/v1/audit/checkpoints", null);
        if (tamper == Tamper.EditData)
        {
            next.StatusCode.ShouldBe(HttpStatusCode.OK);
            var later = (await next.Content.ReadFromJsonAsync<Checkpoint>(Api.Infrastructure.Json.JsonSetup.Create()))!;
            var again = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={later.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
            again["valid"]!.GetValue<bool>().ShouldBeFalse();
        }
        else
        {
            await next.ShouldBeProblem(HttpStatusCode.Conflict);
        }
    }

    [Fact]
    public async Task A_checkpoint_stops_before_a_gap_only_while_a_transaction_that_could_fill_it_is_alive()
    {
        await using var api = await Fresh();
        var auditor = api.ClientFor(Roles.Auditor);
        await Case(api, notes: 2);
        var before = await Checkpoint(auditor);

        // An append that took a sequence number in a transaction still open: the number may yet be committed.
        await using var holder = new NpgsqlConnection(api.ConnectionString);
        await holder.OpenAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand("select nextval('public.mt_events_sequence')", holder, transaction)) await take.ExecuteScalarAsync();
        await Case(api, notes: 2);

        // While it is alive, no checkpoint covers the events behind the gap: a late commit could land inside.
        var during = await Checkpoint(auditor);
        during.TreeSize.ShouldBe(before.TreeSize);
        api.Clock.Advance(NodaTime.Duration.FromMinutes(5));
        (await Checkpoint(auditor)).TreeSize.ShouldBe(before.TreeSize, "however long it takes: never on a timeout");

        // It ends without committing: the very next checkpoint covers everything, no waiting.
        await transaction.RollbackAsync();
        var after = await Checkpoint(auditor);
        after.TreeSize.ShouldBe(before.TreeSize + 3);

        // A gap once signed past stays settled, whatever transactions are alive later (one is, here): no false fork.
        await using (var busy = await holder.BeginTransactionAsync())
        {
            await using (var work = new NpgsqlCommand("select 1", holder, busy)) await work.ExecuteScalarAsync();
            await Case(api, notes: 1);
            (await Checkpoint(auditor)).TreeSize.ShouldBe(after.TreeSize + 2);
            await busy.CommitAsync();
        }

        // A number taken by a transaction already over when the gap is first seen settles at once.
        await using (var ended = new NpgsqlCommand("select nextval('public.mt_events_sequence')", holder)) await ended.ExecuteScalarAsync();
        await Case(api, notes: 1);
        (await Checkpoint(auditor)).TreeSize.ShouldBe(after.TreeSize + 4);

        var verified = await (await auditor.GetAsync($"/api/v1/audit/ledger/verify?treeSize={after.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        verified["valid"]!.GetValue<bool>().ShouldBeTrue();
        var consistency = await (await auditor.GetAsync($"/api/v1/audit/proofs/consistency?from={before.TreeSize}&to={after.TreeSize}").ShouldBe(HttpStatusCode.OK)).Json();
        MerkleTreeTests.ProvesConsistency(consistency, before, after).ShouldBeTrue();
    }

    [Fact]
    public async Task The_verify_ledger_command_checks_the_database_against_a_published_checkpoint_offline()
    {
        var publish = Directory.CreateTempSubdirectory("published-");
        try
        {
            await using var api = new PublishingApi(publish.FullName);
            await api.InitializeAsync();
            var auditor = api.ClientFor(Roles.Auditor);
            var victim = await Case(api, notes: 3);
            var checkpoint = await Checkpoint(auditor);
            var file = Path.Combine(publish.FullName, $"checkpoint-{checkpoint.TreeSize:D12}.json");
            File.Exists(file).ShouldBeTrue("every checkpoint is also written outside the database");
            var pem = Path.Combine(publish.FullName, "key.pem");
            await File.WriteAllTextAsync(pem, (await (await auditor.GetAsync("/api/v1/audit/checkpoints/public-key")).Json())["publicKeyPem"]!.GetValue<string>());

            var (code, output) = await VerifyLedger(file, pem, api.ConnectionString);
            code.ShouldBe(0, output);
            output.ShouldStartWith("VALID");
            // A published file carrying a member this version does not know (an older or newer writer's) still verifies:
            // only request bodies refuse unknown members.
            var annotated = Path.Combine(publish.FullName, "annotated.json");
            var node = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            node["publishedBy"] = "an operator's note";
            await File.WriteAllTextAsync(annotated, node.ToJsonString());
            (code, output) = await VerifyLedger(annotated, pem, api.ConnectionString);
            code.ShouldBe(0, output);
            // Another key than the one it was signed with (one the ledger used before, say): it cannot tell, and says so,
            // rather than calling the log INVALID.
            var another = Path.Combine(publish.FullName, "another.pem");
            using (var otherKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
                await File.WriteAllTextAsync(another, otherKey.ExportSubjectPublicKeyInfoPem());
            (code, output) = await VerifyLedger(file, another, api.ConnectionString);
            code.ShouldBe(2, output);
            output.ShouldContain($"signed with key {checkpoint.KeyId}");
            output.ShouldNotContain("INVALID");

            await using (var db = new NpgsqlConnection(api.ConnectionString))
            {
                await db.OpenAsync();
                await using var edit = new NpgsqlCommand("update mt_events set data = jsonb_set(data, '{text}', '\"rewritten\"') where stream_id = @id and version = 2", db);
                edit.Parameters.AddWithValue("id", victim);
                await edit.ExecuteNonQueryAsync();
            }
            (code, output) = await VerifyLedger(file, pem, api.ConnectionString);
            code.ShouldBe(1, output);
            output.ShouldContain($"case {victim} version 2");
        }
        finally
        {
            publish.Delete(recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> VerifyLedger(string checkpoint, string key, string connection)
    {
        var (exit, output, error) = await ApiProcess.RunToExitAsync(new Dictionary<string, string>(),
            "verify-ledger", "--checkpoint", checkpoint, "--public-key", key, "--connection", connection);
        return (exit, (output + error).Trim());
    }

    [Fact]
    public async Task A_database_restored_to_an_earlier_point_never_overwrites_a_published_checkpoint_and_says_so()
    {
        var publish = Directory.CreateTempSubdirectory("published-");
        try
        {
            await using var api = new PublishingApi(publish.FullName);
            await api.InitializeAsync();
            var auditor = api.ClientFor(Roles.Auditor);
            await Case(api, notes: 3);
            var before = await Checkpoint(auditor);
            var lost = await Case(api, notes: 2);
            var published = await Checkpoint(auditor);
            var file = Path.Combine(publish.FullName, $"checkpoint-{published.TreeSize:D12}.json");
            var evidence = await File.ReadAllTextAsync(file);

            // A restore from the backup taken after the first checkpoint: the second case and the checkpoint over it
            // are gone from the database, not from the publish directory.
            await using (var db = new NpgsqlConnection(api.ConnectionString))
            {
                await db.OpenAsync();
                await using var restore = new NpgsqlCommand(
                    "delete from mt_events where stream_id = @id; delete from mt_streams where id = @id; delete from mt_doc_casestream where id = @id; " +
                    "delete from mt_doc_casesummary where id = @id; delete from mt_doc_checkpointrecord where id = @size; " +
                    "select setval('mt_events_sequence', (select max(seq_id) from mt_events))", db);
                restore.Parameters.AddWithValue("id", lost);
                restore.Parameters.AddWithValue("size", published.TreeSize);
                await restore.ExecuteNonQueryAsync();
            }
            // Work goes on after the restore: another case of as many events makes a tree of the same size, another root.
            await Case(api, notes: 2);
            var after = await Checkpoint(auditor);
            after.TreeSize.ShouldBe(published.TreeSize);
            after.RootHash.ShouldNotBe(published.RootHash);

            (await File.ReadAllTextAsync(file)).ShouldBe(evidence, "a published checkpoint is never overwritten");
            var kept = Directory.GetFiles(publish.FullName, $"checkpoint-{after.TreeSize:D12}-*.json").ShouldHaveSingleItem();
            System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(kept))!["checkpoint"]!["rootHash"]!.GetValue<string>().ShouldBe(after.RootHash);
            var errors = api.Errors.ToList();
            errors.ShouldContain(e => e.Contains($"holds checkpoint {published.TreeSize}, past the database's latest checkpoint {before.TreeSize}"));
            errors.ShouldContain(e => e.Contains($"Checkpoint {published.TreeSize} was already published with another root"));
        }
        finally
        {
            publish.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_published_is_still_signed_and_the_failure_logged()
    {
        // The publish directory's path is taken by a file: nothing can be written there.
        var blocked = Path.GetTempFileName();
        try
        {
            await using var api = new PublishingApi(blocked);
            await api.InitializeAsync();
            await Case(api, notes: 1);
            var checkpoint = await Checkpoint(api.ClientFor(Roles.Auditor));
            checkpoint.TreeSize.ShouldBeGreaterThan(0);
            api.Errors.ShouldContain(e => e.Contains($"Checkpoint {checkpoint.TreeSize} is signed in the database but could not be published: IOException"));
        }
        finally
        {
            File.Delete(blocked);
        }
    }

    private sealed class PublishingApi(string directory) : ApiFactory
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Errors { get; } = new();

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Ledger:PublishDirectory"] = directory };

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(new ErrorLog(Errors)));
        }

        private sealed class ErrorLog(System.Collections.Concurrent.ConcurrentQueue<string> errors) : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
        {
            public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;
            public void Dispose() { }
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Error;
            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
                Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) errors.Enqueue(formatter(state, exception));
            }
        }
    }

    /// <summary>What an attacker with the database password does: recompute the case's hashes so its own chain holds.</summary>
    private static async Task RecomputeChain(NpgsqlConnection db, Guid caseId)
    {
        var rows = new List<(long Version, string Type, string Data)>();
        await using (var read = new NpgsqlCommand("select version, mt_dotnet_type, data::text from mt_events where stream_id = @id order by version", db))
        {
            read.Parameters.AddWithValue("id", caseId);
            await using var reader = await read.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }
        var previous = EventHashChain.Genesis;
        foreach (var (version, type, data) in rows)
        {
            var hash = EventHashChain.Hash(previous, caseId, version, EventHashChain.TypeName(type), data);
            await using var write = new NpgsqlCommand("update mt_events set headers = jsonb_set(coalesce(headers, '{}'), '{hash}', to_jsonb(@hash::text)) where stream_id = @id and version = @v", db);
            write.Parameters.AddWithValue("hash", hash);
            write.Parameters.AddWithValue("id", caseId);
            write.Parameters.AddWithValue("v", version);
            await write.ExecuteNonQueryAsync();
            previous = hash;
        }
        await using var head = new NpgsqlCommand("update mt_doc_casestream set data = jsonb_set(data, '{chainHead}', to_jsonb(@hash::text)) where id = @id", db);
        head.Parameters.AddWithValue("hash", previous);
        head.Parameters.AddWithValue("id", caseId);
        await head.ExecuteNonQueryAsync();
    }

    private static async Task<ApiFactory> Fresh()
    {
        var api = new ApiFactory();
        await api.InitializeAsync();
        return api;
    }

    private static async Task<Guid> Case(ApiFactory api, int notes)
    {
        var id = await api.OpenCase();
        var officer = api.ClientFor(Roles.SafeguardingOfficer);
        for (var i = 0; i < notes; i++) await officer.PostJson($"/api/v1/cases/{id}/notes", new { text = $"note {i}" }).ShouldBe(HttpStatusCode.Created);
        return id;
    }

    private static async Task<Checkpoint> Checkpoint(HttpClient auditor)
    {
        var response = await auditor.PostAsync("/api/v1/audit/checkpoints", null).ShouldBe(HttpStatusCode.OK);
        return (await response.Content.ReadFromJsonAsync<Checkpoint>(Api.Infrastructure.Json.JsonSetup.Create()))!;
    }
}
