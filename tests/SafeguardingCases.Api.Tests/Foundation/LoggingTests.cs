using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SafeguardingCases.Api.Tests.Infrastructure;
using SafeguardingCases.Domain.Cases;

namespace SafeguardingCases.Api.Tests.Foundation;

/// <summary>
/// Expected outcomes (404, 409, 412, 422, a lost race) are not errors: no Warning or Error, no stack trace. And no log
/// line carries what a user disclosed or who on the staff acted.
/// </summary>
public sealed class LoggingTests(LoggingTests.CapturedLogs api) : IClassFixture<LoggingTests.CapturedLogs>
{
    private const string Secret = "my uncle hurts me";
    private const string StaffName = "Staff Member Nine";
    private const string StaffSubject = "staff-subject-9";

    [Fact]
    public async Task Refusals_conflicts_and_races_log_no_errors_no_stack_traces_and_no_personal_data()
    {
        var officer = api.ClientAs(StaffSubject, Roles.SafeguardingOfficer, Roles.Clinician);
        officer.DefaultRequestHeaders.Authorization = new("Bearer",
            Api.Infrastructure.Auth.DevTokens.Mint(ApiFactory.SigningKey, StaffSubject, StaffName, [Roles.SafeguardingOfficer, Roles.Clinician], TimeSpan.FromHours(1)));
        var opened = await (await officer.PostJson("/api/v1/cases", new
        {
            channel = "Chat", sourceReference = "chat-1", serviceUser = new { reference = "handle-secret", ageYears = 15 }, summary = Secret,
        }).ShouldBe(HttpStatusCode.Created)).Json();
        var id = opened["id"]!.GetValue<Guid>();
        var url = $"/api/v1/cases/{id}";
        api.Logs.Clear();

        // 412: a stale If-Match.
        await officer.PostJson($"{url}/notes", new { text = Secret }, ifMatch: "\"7\"").ShouldBe(HttpStatusCode.PreconditionFailed);
        // 404: an escalation citing an assessment the case does not have; 422: a no-escalation decision with no assessment.
        await officer.PostJson($"{url}/escalations", new
        {
            route = "Emergency", agency = "Police999", personId = "service-user", riskAssessmentId = Guid.NewGuid(),
            reliesOn = Array.Empty<Guid>(), informationShared = new[] { "Name" },
        }).ShouldBe(HttpStatusCode.NotFound);
        await officer.PostJson($"{url}/no-escalation-decisions", new { reason = Secret }).ShouldBe(HttpStatusCode.UnprocessableEntity);
        // 409: a note on a closed case.
        await officer.PostJson($"{url}/close", new { reason = Secret }).ShouldBe(HttpStatusCode.OK);
        await officer.PostJson($"{url}/notes", new { text = Secret }).ShouldBe(HttpStatusCode.Conflict);
        await officer.PostJson($"{url}/reopen", new { reason = "again" }).ShouldBe(HttpStatusCode.OK);
        // Lost races: writers without If-Match, decided again.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => officer.PostJson($"{url}/notes", new { text = Secret }).ShouldBe(HttpStatusCode.Created)));
        // A replay and a reused key.
        await officer.PostJson($"{url}/notes", new { text = Secret }, idempotencyKey: "k1").ShouldBe(HttpStatusCode.Created);
        await officer.PostJson($"{url}/notes", new { text = Secret }, idempotencyKey: "k1").ShouldBe(HttpStatusCode.Created);
        await officer.PostJson($"{url}/notes", new { text = "other" }, idempotencyKey: "k1").ShouldBe(HttpStatusCode.UnprocessableEntity);

        // A search by the user's handle: found, and the handle in no log line (it travels in the body, not the URL).
        await officer.PostJson("/api/v1/cases/search", new { reference = "handle-secret" }).ShouldBe(HttpStatusCode.OK);

        var entries = api.Logs.ToArray();
        entries.Count(e => e.Level == LogLevel.Information && e.Message.Contains(": StaleVersion", StringComparison.Ordinal)).ShouldBe(1, "a 412 is one Information line");
        entries.Count(e => e.Level == LogLevel.Information && e.Message.Contains(": Refused (RECORD-NO-ESCALATION", StringComparison.Ordinal))
            .ShouldBe(1, "a 422 is one Information line naming its rules");
        entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ShouldBeEmpty("expected outcomes are not warnings or errors");
        entries.Where(e => e.Exception is not null).Select(e => e.Message).ShouldBeEmpty("expected outcomes carry no stack trace");
        foreach (var forbidden in new[] { Secret, StaffName, StaffSubject, "handle-secret" })
        {
            entries.Where(e => e.Message.Contains(forbidden, StringComparison.Ordinal)).Select(e => e.Message).ShouldBeEmpty($"no log line carries '{forbidden}'");
        }
    }

    public sealed record Entry(LogLevel Level, string Category, string Message, Exception? Exception);

    public sealed class CapturedLogs : ApiFactory
    {
        public ConcurrentQueue<Entry> Logs { get; } = new();

        protected override IDictionary<string, string?> ExtraSettings => new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Debug" };

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(new Provider(Logs)));
        }

        private sealed class Provider(ConcurrentQueue<Entry> logs) : ILoggerProvider
        {
            public ILogger CreateLogger(string categoryName) => new Logger(categoryName, logs);
            public void Dispose() { }
        }

        private sealed class Logger(string category, ConcurrentQueue<Entry> logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Enqueue(new Entry(logLevel, category, $"{category}: {formatter(state, exception)}", exception));
        }
    }
}
