using System.Net;
using Npgsql;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;
using SafeguardingCases.Testing;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// The schema outside Development: <c>db-apply</c> (Marten's schema tooling) applies it as the database owner, and
/// the API runs the worked example as a role with only DML rights, never changing the schema itself.
/// </summary>
public sealed class SchemaTests
{
    [Fact]
    public async Task Db_apply_then_the_api_runs_the_worked_example_as_a_role_with_only_dml_rights()
    {
        var server = await PostgresServer.GetAsync();
        var owner = await server.CreateDatabaseAsync("schema_dml");
        var role = $"sg_app_{Guid.NewGuid():N}"[..20];
        await ExecuteAsync(owner, $"create role {role} login password 'app-password'");

        var applied = await RunAsync(owner, "db-apply", "--grant", role);
        applied.Exit.ShouldBe(0, applied.Error);
        applied.Output.ShouldContain("db-apply: applied");
        applied.Output.ShouldContain($"granted DML rights on the schema to {role}");
        var again = await RunAsync(owner, "db-apply");
        again.Exit.ShouldBe(0, again.Error);
        again.Output.ShouldContain("the schema is up to date");

        var app = new NpgsqlConnectionStringBuilder(owner) { Username = role, Password = "app-password" }.ConnectionString;
        var ddl = await Should.ThrowAsync<PostgresException>(() => ExecuteAsync(app, "create table may_not(id int)"));
        ddl.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege, "the application's role has no DDL rights");

        await using var api = await ApiProcess.StartAsync(app, Loopback.FreePort(), new Dictionary<string, string> { ["Database__ApplySchemaOnStartup"] = "false" });
        await WorkedExampleAsync(api);
        (await ScalarAsync(owner, "select count(*) from mt_events")).ShouldBe(7L);
    }

    [Fact]
    public async Task Without_db_apply_the_api_refuses_to_start_with_one_line_naming_db_apply()
    {
        var server = await PostgresServer.GetAsync();
        var empty = await server.CreateDatabaseAsync("schema_missing");

        var run = await RunAsync(empty, environment: new() { ["Database__ApplySchemaOnStartup"] = "false" });

        run.Exit.ShouldBe(StartupRefusedException.ExitCode);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(1, run.Error);
        lines[0].ShouldContain("db-apply");
        run.Output.ShouldNotContain("   at ");
        (await ScalarAsync(empty, "select count(*) from information_schema.tables where table_name like 'mt_%'")).ShouldBe(0L, "nothing was created");
    }

    [Fact]
    public async Task Db_apply_against_a_database_it_cannot_reach_says_so_in_one_line_and_exits_1()
    {
        var run = await RunAsync("Host=127.0.0.1;Port=1;Username=nobody;Timeout=2", "db-apply");
        run.Exit.ShouldBe(1);
        run.Error.Trim().Split('\n').Length.ShouldBe(1, run.Error);
        run.Error.ShouldStartWith("db-apply: the schema could not be applied");
    }

    private static async Task WorkedExampleAsync(ApiProcess api)
    {
        var officer = api.ClientAs("officer-1", Roles.SafeguardingOfficer);
        var clinician = api.ClientAs("clinician-1", Roles.Clinician);
        var auditor = api.ClientAs("auditor-1", Roles.Auditor);
        var lead = api.ClientAs("lead-1", Roles.SafeguardingLead);

        var id = (await (await officer.PostJson("/api/v1/cases", Scenario.OpenCaseBody()).ShouldBe(HttpStatusCode.Created)).Json())["id"]!.GetValue<Guid>();
        var url = $"/api/v1/cases/{id}";
        var disclosure = (await (await officer.PostJson($"{url}/disclosures", new
        {
            disclosedAt = CaseApi.Iso(NodaTime.SystemClock.Instance.GetCurrentInstant() - NodaTime.Duration.FromMinutes(20)),
            channel = "Boards", sourceReference = "post-123", summary = "My dad hits me",
            concerns = new[] { CaseApi.Concern("Physical") },
        }).ShouldBe(HttpStatusCode.Created)).Json())["disclosureId"]!.GetValue<Guid>();
        var assessment = (await (await clinician.PostJson($"{url}/risk-assessments", new
        {
            assessments = new[] { CaseApi.Assessment("service-user", "None", "NonEmergency", "Physical") },
            rationale = "Ongoing physical abuse",
        }).ShouldBe(HttpStatusCode.Created)).Json())["riskAssessmentId"]!.GetValue<Guid>();
        await (await officer.PostJson($"{url}/escalations", CaseApi.EscalationBody("Emergency", "Police999", assessment, [disclosure])))
            .ShouldBeProblem(HttpStatusCode.UnprocessableEntity);
        var escalation = (await (await officer.PostJson($"{url}/escalations", CaseApi.EscalationBody("NonEmergency", "ChildrensSocialCare", assessment, [disclosure]),
            idempotencyKey: "escalate-once").ShouldBe(HttpStatusCode.Created)).Json())["escalationId"]!.GetValue<Guid>();
        await officer.PostJson($"{url}/transparency-notices", new { escalationId = escalation, message = "We shared ...", sentVia = "Boards" }).ShouldBe(HttpStatusCode.Created);
        await officer.PostJson($"{url}/close", new { reason = "Referred and user told" }).ShouldBe(HttpStatusCode.OK);
        await lead.PutJson($"{url}/restriction", new { allowedSubjects = new[] { "auditor-1" }, reason = "Allegation about staff" }).ShouldBe(HttpStatusCode.OK);

        await auditor.GetAsync($"{url}/history").ShouldBe(HttpStatusCode.OK);
        (await (await auditor.GetAsync($"{url}/integrity").ShouldBe(HttpStatusCode.OK)).Json())["valid"]!.GetValue<bool>().ShouldBeTrue();
        await auditor.GetAsync("/api/v1/audit/escalations").ShouldBe(HttpStatusCode.OK);
        await auditor.GetAsync($"/api/v1/audit/access?caseId={id}").ShouldBe(HttpStatusCode.OK);
        (await auditor.PostJson("/api/v1/audit/checkpoints", new { })).StatusCode.ShouldBeOneOf(HttpStatusCode.Created, HttpStatusCode.OK);
        await officer.GetAsync("/api/v1/cases?obligation=TransparencyNoticeDue").ShouldBe(HttpStatusCode.OK);
        // Every document the API keeps has its table from db-apply: alerts, webhooks and their deliveries too.
        await officer.GetAsync("/api/v1/notifications").ShouldBe(HttpStatusCode.OK);
        var webhook = (await (await lead.PostJson("/api/v1/webhooks", new { url = "https://example.org/hook", events = new[] { "CaseClosed" } })
            .ShouldBe(HttpStatusCode.Created)).Json())["webhookId"]!.GetValue<Guid>();
        await lead.GetAsync("/api/v1/webhooks").ShouldBe(HttpStatusCode.OK);
        await lead.GetAsync($"/api/v1/webhooks/{webhook}/deliveries").ShouldBe(HttpStatusCode.OK);
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string connectionString, params string[] args) =>
        await RunAsync(connectionString, [], args);

    private static Task<(int Exit, string Output, string Error)> RunAsync(string connectionString, Dictionary<string, string> environment, params string[] args) =>
        ApiProcess.RunToExitAsync(new Dictionary<string, string>(environment)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Loopback.FreePort()}",
            ["ConnectionStrings__Marten"] = connectionString,
            ["Auth__DevSigningKey"] = ApiFactory.SigningKey,
            ["Auth__AllowDevTokens"] = "true",
        }, args);
}
