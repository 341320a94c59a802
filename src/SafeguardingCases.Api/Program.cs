using FastEndpoints;
using Mediator;
using Microsoft.Extensions.Options;
using NodaTime;
using SafeguardingCases.Api.Features.Staff;
using SafeguardingCases.Api.Infrastructure;
using SafeguardingCases.Api.Infrastructure.Auth;
using SafeguardingCases.Api.Infrastructure.Configuration;
using SafeguardingCases.Api.Infrastructure.Http;
using SafeguardingCases.Web;
using SafeguardingCases.Api.Infrastructure.Json;
using SafeguardingCases.Api.Infrastructure.Messaging;
using SafeguardingCases.Api.Infrastructure.OpenApi;
using SafeguardingCases.Api.Infrastructure.Persistence;
using SafeguardingCases.Api.Infrastructure.Sessions;
using SafeguardingCases.Api.Infrastructure.Telemetry;

if (args is ["dev-token", ..]) return DevTokenCommand.Run(args[1..]);
if (args is ["healthcheck", ..]) return await HealthCheckCommand.RunAsync(args[1..]);
if (args is ["db-apply", ..]) return await SchemaCommands.ApplyAsync(args[1..]);
if (args is ["rewrap-keys", ..]) return await SafeguardingCases.Api.Infrastructure.Privacy.RewrapKeysCommand.RunAsync(args[1..]);
if (args is ["verify-ledger", ..]) return await SafeguardingCases.Api.Infrastructure.Ledger.VerifyLedgerCommand.RunAsync(args[1..]);
if (args is ["verify-export", ..]) return await SafeguardingCases.Api.Features.Exports.VerifyExportCommand.RunAsync(args[1..]);

try
{
    await RunApiAsync(args);
    return 0;
}
catch (StartupRefusedException refusal)
{
    // One clear line naming the setting, and a non-zero exit: no stack trace for a configuration mistake.
    await Console.Error.WriteLineAsync($"SafeguardingCases will not start: {refusal.Message}");
    return StartupRefusedException.ExitCode;
}

static async Task RunApiAsync(string[] args)
{
    // Validation messages name fields as the JSON does ("sourceReference"), not as split words.
    FluentValidation.ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
        member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);

    var builder = WebApplication.CreateBuilder(args);
    var services = builder.Services;
    var configuration = builder.Configuration;
    if (!builder.Environment.IsDevelopment())
    {
        // Outside Development: one JSON object a line, with the W3C trace id (the scope ASP.NET adds from the request's
        // activity). The hosting request scope is off: it would write every request's path, and paths carry case ids.
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
    }

    var policy = PolicyConfiguration.Bind(configuration);
    services.AddSingleton(Options.Create(policy));
    services.AddSingleton<IClock>(SystemClock.Instance);
    services.AddSingleton(Options.Create(new IdempotencyKeyOptions
    {
        Expiry = Settings.ReadDuration(configuration, $"{IdempotencyKeyOptions.SectionName}:{nameof(IdempotencyKeyOptions.Expiry)}")
            ?? new IdempotencyKeyOptions().Expiry,
    }));
    services.AddSingleton<OffCaseIdempotency>();
    var bodyLimit = Settings.ReadPositiveLong(configuration, $"{HttpLimitsOptions.SectionName}:{nameof(HttpLimitsOptions.MaxRequestBodyBytes)}")
        ?? new HttpLimitsOptions().MaxRequestBodyBytes;
    services.AddSingleton(Options.Create(new HttpLimitsOptions { MaxRequestBodyBytes = bodyLimit }));
    builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = bodyLimit);

    services.AddSingleton(SafeguardingCases.Api.Features.Access.BreakGlass.AccessOptions.Bind(configuration));
    services.AddSafeguardingAuth(configuration, builder.Environment);
    // The staff console at /, on this origin: a client of /api/v1 like any other (src/SafeguardingCases.Web).
    services.AddStaffConsole(configuration, builder.Environment);
    // PRIVACY-AT-REST: the key-encryption key (a missing one outside Development and the tests stops start-up here).
    var keyEncryptionKey = SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing.LoadKeyEncryptionKey(configuration, builder.Environment);
    var previousKeyEncryptionKey = SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing.LoadPreviousKeyEncryptionKey(configuration);
    services.AddSingleton(sp => new SafeguardingCases.Api.Infrastructure.Privacy.CaseKeyRing(keyEncryptionKey, sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), previousKeyEncryptionKey));
    var applySchema = MartenSetup.ApplySchemaOnStartup(configuration, builder.Environment);
    services.AddSafeguardingMarten(configuration, applySchema);
    // The console's sessions and the data protection key ring in PostgreSQL, shared by every instance (its keys sealed
    // under a key derived from the key-encryption key): a session outlives a restart and any instance serves it. After
    // Marten, so its schema step runs before data protection's own start-up read of the key ring.
    services.AddSharedConsoleSessions(keyEncryptionKey, previousKeyEncryptionKey);
    // After Marten: hosted services start in order, so the schema step is done before anything else reads tables.
    services.AddSafeguardingTelemetry(configuration);
    services.AddSingleton(Options.Create(new CommandOptions
    {
        MaxDecisions = (int?)Settings.ReadPositiveLong(configuration, "Commands:MaxDecisions") ?? CaseCommandRunner.DefaultMaxDecisions,
        GroupCommit = Settings.ReadBool(configuration, "Commands:GroupCommit") ?? true,
    }));
    services.AddSingleton<CaseStager>();
    services.AddSingleton<CaseCommandRunner>();
    services.AddSingleton<CaseAppendQueue>();
    services.AddHttpContextAccessor();
    // Alerts from deadlines (issue 20): the sweep raises them, the outbox emails them; both on every instance, each
    // alert raised once (its id is its obligation and threshold) and each email claimed by one instance at a time.
    services.AddSingleton(SafeguardingCases.Api.Features.Notifications.NotificationOptions.Bind(configuration));
    services.AddSingleton<SafeguardingCases.Api.Features.Notifications.DeadlineAlerts>();
    services.AddHostedService(sp => sp.GetRequiredService<SafeguardingCases.Api.Features.Notifications.DeadlineAlerts>());
    services.AddSingleton<SafeguardingCases.Api.Features.Notifications.EmailOutbox>();
    services.AddHostedService(sp => sp.GetRequiredService<SafeguardingCases.Api.Features.Notifications.EmailOutbox>());
    services.AddSingleton<SafeguardingCases.Api.Features.Webhooks.CaseEventFeed>();
    // Webhook deliveries: no redirects followed (a receiver cannot bounce a signed delivery elsewhere), a short timeout.
    services.AddHttpClient(SafeguardingCases.Api.Features.Webhooks.WebhookSender.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
        .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = SafeguardingCases.Api.Features.Webhooks.WebhookAddresses.ConnectAsync,
        });
    services.AddSingleton<SafeguardingCases.Api.Features.Webhooks.WebhookSender>();
    services.AddHostedService(sp => sp.GetRequiredService<SafeguardingCases.Api.Features.Webhooks.WebhookSender>());
    // The search by reference: rows written before its index existed get their values once, at start-up.
    services.AddSingleton<SafeguardingCases.Api.Features.Cases.Search.ReferenceIndexBackfill>();
    services.AddHostedService(sp => sp.GetRequiredService<SafeguardingCases.Api.Features.Cases.Search.ReferenceIndexBackfill>());
    services.AddSingleton<SafeguardingCases.Api.Features.Staff.StaffDirectory>();
    services.AddSingleton<RetentionCleanup>();
    services.AddHostedService(sp => sp.GetRequiredService<RetentionCleanup>());
    var ledger = SafeguardingCases.Api.Infrastructure.Ledger.LedgerOptions.Bind(configuration);
    var signingKey = ledger.LoadKey(builder.Environment);
    ledger.PreviousKeys = ledger.LoadPreviousKeys();
    services.AddSingleton(ledger);
    services.AddSingleton(signingKey);
    services.AddSingleton<SafeguardingCases.Api.Infrastructure.Ledger.EventLedger>();
    services.AddHostedService<SafeguardingCases.Api.Infrastructure.Ledger.CheckpointJob>();
    services.AddMediator((MediatorOptions o) =>
    {
        // Scoped: handlers take Marten sessions, which are scoped.
        o.ServiceLifetime = ServiceLifetime.Scoped;
        o.PipelineBehaviors = [typeof(LoggingBehavior<,>)];
    });
    services.AddFastEndpoints();
    services.AddSafeguardingOpenApi();
    services.AddExceptionHandler<ProblemExceptionHandler>();
    // Problems the framework writes (401, 403, unknown routes, 405, 415) in the same type family and with the same trace id.
    services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
    {
        var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
        ctx.ProblemDetails.Type = Problems.TypeFor(Problems.SlugFor(status));
        ctx.ProblemDetails.Detail ??= Problems.DetailFor(status, ctx.HttpContext.Response);
        ctx.ProblemDetails.Extensions["traceId"] = ctx.HttpContext.TraceIdentifier;
    });
    services.AddSafeguardingEdge(configuration);
    services.AddSafeguardingTransport(configuration);
    services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);

    var app = builder.Build();
    if (!applySchema) await SchemaCommands.CheckAppliedAsync(app.Services.GetRequiredService<Marten.IDocumentStore>(), app.Logger);
    // The group commit's guards (GroupCommitStatement) run now, not on the first command.
    app.Services.GetRequiredService<CaseAppendQueue>();

    app.UseSafeguardingTransport();
    app.UseMiddleware<TraceIdMiddleware>();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseMiddleware<RequestBodyLimitMiddleware>();
    // OpenAPI 3.1: its schemas are JSON Schema 2020-12, so standard validators read nullability and enums as served.
    app.UseSwagger(o => o.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1);
    // Swagger UI is for people exploring the API: served unless in Production, where Swagger__Ui=true turns it on.
    if (Settings.ReadBool(app.Configuration, "Swagger:Ui") ?? !app.Environment.IsProduction())
    {
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint($"/swagger/{OpenApiSetup.DocumentName}/swagger.json", "SafeguardingCases v1");
            o.RoutePrefix = "swagger";
        });
    }
    app.UseCors(EdgePolicies.CorsPolicy);
    app.UseConsoleNotFound();
    app.UseAuthentication();
    app.UseEndedSessionForms();
    app.UseStaffDirectory();
    app.UseRateLimiter();
    app.UseAuthorization();
    app.MapStaffConsole();
    app.UseMiddleware<IdempotencyMiddleware>();
    app.UseMiddleware<AccessLogMiddleware>();
    app.UseFastEndpoints(c =>
    {
        c.Endpoints.RoutePrefix = "api/v1";
        c.Errors.UseProblemDetails(p =>
        {
            p.TypeTransformer = _ => Problems.TypeFor("validation");
            p.TitleTransformer = _ => "One or more validation errors occurred.";
        });
        JsonSetup.ForRequestBodies(c.Serializer.Options);
        // Query-string instants (as-of, audit and report ranges) in the same ISO-8601 form as the JSON.
        c.Binding.FailureMessage = BindingMessages.ForValue;
        c.Binding.JsonExceptionTransformer = BindingMessages.ForJson;
        c.Binding.ValueParserFor<Instant>(QueryValues.ParseInstant);
        c.Binding.ValueParserFor<Instant?>(QueryValues.ParseInstant);
    });
    app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous();
    app.MapHealthChecks("/health/ready", new() { Predicate = r => r.Tags.Contains("ready") }).AllowAnonymous();

    await app.RunAsync();
}

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
