using System.Reflection;
using System.Text.RegularExpressions;
using FastEndpoints;
using FluentValidation;
using Microsoft.OpenApi;
using NodaTime;
using SafeguardingCases.Api.Infrastructure.Http;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SafeguardingCases.Api.Infrastructure.OpenApi;

/// <summary>Swashbuckle for FastEndpoints: the served document at <c>/swagger/v1/swagger.json</c>, committed under <c>openapi/</c>.</summary>
public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddSafeguardingOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "SafeguardingCases API",
                Version = "v1",
                Description = "Safeguarding case management under the unified confidentiality policy. Policy rule IDs (POLICY.md) are cited in every decision and refusal.",
                License = new OpenApiLicense { Name = "Proprietary: for the support service's own use", Identifier = "LicenseRef-Proprietary" },
            });
            // Every DTO has a name of its own (a test checks they stay unique), so the schema is named by it.
            o.CustomSchemaIds(t => t.Name);
            // Readable operation ids for generated clients: OpenCaseEndpoint is openCase.
            o.CustomOperationIds(d => d.ActionDescriptor.EndpointMetadata.OfType<EndpointDefinition>().FirstOrDefault() is { } e
                ? OperationId(e.EndpointType) : null);
            o.MapType<Instant>(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" });
            o.MapType<Instant?>(() => new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Format = "date-time" });
            o.MapType<LocalDate>(() => new OpenApiSchema { Type = JsonSchemaType.String, Format = "date" });
            o.MapType<Duration>(() => new OpenApiSchema { Type = JsonSchemaType.String });
            o.AddSecurityDefinition("Bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT with a 'role' claim: SafeguardingOfficer, Clinician, SafeguardingLead or Auditor. See the README for development tokens.",
            });
            o.AddSecurityRequirement(doc => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("Bearer", doc)] = [] });
            o.OperationFilter<FastEndpointsOperationFilter>();
            o.OperationFilter<ExamplesOperationFilter>();
            o.SchemaFilter<RequiredFieldsSchemaFilter>();
            o.SchemaFilter<PersonalFieldsSchemaFilter>();
            o.DocumentFilter<TagsAndServersDocumentFilter>();
            o.SupportNonNullableReferenceTypes();
        });
        // Swashbuckle reads enums and names from the HTTP JSON options: the same ones FastEndpoints writes with.
        services.ConfigureHttpJsonOptions(j => Json.JsonSetup.Configure(j.SerializerOptions));
        services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(j => Json.JsonSetup.Configure(j.JsonSerializerOptions));
        return services;
    }

    /// <summary>The operation id of an endpoint: its class name without "Endpoint", camel-cased (openCase, listOverrides).</summary>
    public static string OperationId(Type endpoint)
    {
        var name = endpoint.Name.EndsWith("Endpoint", StringComparison.Ordinal) ? endpoint.Name[..^"Endpoint".Length] : endpoint.Name;
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}

/// <summary>The API's documentation comments (the XML file the build writes beside the assembly), for query parameters.</summary>
public static class XmlDocumentation
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "SafeguardingCases.Api.xml");

    private static readonly Lazy<Dictionary<string, string>> Summaries = new(() =>
        File.Exists(Path)
            ? System.Xml.Linq.XDocument.Load(Path).Descendants("member")
                .Where(m => m.Attribute("name")?.Value.StartsWith("P:", StringComparison.Ordinal) == true && m.Element("summary") is not null)
                .ToDictionary(m => m.Attribute("name")!.Value, m => Regex.Replace(m.Element("summary")!.Value, @"\s+", " ").Trim())
            : []);

    /// <summary>A property's summary, or null when it has none.</summary>
    public static string? Summary(PropertyInfo property) =>
        Summaries.Value.GetValueOrDefault($"P:{property.DeclaringType!.FullName!.Replace('+', '.')}.{property.Name}");
}

/// <summary>Endpoint metadata: the 200 answer also comes in these content types (a string schema with this format, or none), by Accept.</summary>
public sealed record AlsoAnswersAs(params (string ContentType, string? Format)[] Types);

/// <summary>
/// Fills in what ApiExplorer cannot see on FastEndpoints endpoints: route parameters, query parameters from the
/// request DTO on GET, no request body on GET, and the Idempotency-Key and If-Match headers of the HTTP contract.
/// </summary>
public sealed partial class FastEndpointsOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var definition = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<EndpointDefinition>().FirstOrDefault();
        if (definition is null) return;
        operation.Parameters ??= [];
        var method = context.ApiDescription.HttpMethod ?? "GET";
        var path = context.ApiDescription.RelativePath ?? "";
        // A read sent as a POST (Describe.ReadByPost) takes no Idempotency-Key and replays nothing.
        var command = (HttpMethods.IsPost(method) && !context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<ReadSentAsPost>().Any())
                      || HttpMethods.IsPut(method);

        foreach (Match m in RouteParameter().Matches(path))
        {
            var name = m.Groups["name"].Value;
            if (operation.Parameters.Any(p => p.Name == name && p.In == ParameterLocation.Path)) continue;
            var isGuid = name is "id" or "overrideId";
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Path,
                Required = true,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = isGuid ? "uuid" : null },
            });
        }

        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsDelete(method);
        if (isRead)
        {
            operation.RequestBody = null;
            var requestType = definition.ReqDtoType;
            if (requestType is not null && requestType != typeof(EmptyRequest))
            {
                foreach (var property in requestType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    var name = JsonName(property);
                    if (operation.Parameters.Any(p => p.Name == name)) continue;
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = name,
                        In = ParameterLocation.Query,
                        Description = XmlDocumentation.Summary(property) ?? name switch
                        {
                            "limit" => "How many items a page holds, at most.",
                            "cursor" => "The next value of the page before; none for the first page.",
                            _ => null,
                        },
                        Required = false,
                        Schema = context.SchemaGenerator.GenerateSchema(property.PropertyType, context.SchemaRepository),
                    });
                }
            }
        }
        else
        {
            if (command && HttpMethods.IsPost(method))
            {
                operation.Parameters.Add(Header(IdempotencyKeyOptions.HeaderName,
                    "Repeat a POST safely: the same key and body return the first response and append nothing; another body with the same key gets 422."));
            }
            if (OnACase(path))
                operation.Parameters.Add(Header("If-Match", "The case version you last saw, as its ETag (\"7\"). A stale version gets 412."));
        }

        DescribeResponseHeaders(operation, method, path, command);
        // Exports answer CSV or PDF as well as JSON, by Accept.
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<AlsoAnswersAs>().FirstOrDefault() is { } also
            && operation.Responses?.TryGetValue("200", out var ok) == true && ok is OpenApiResponse answer)
        {
            answer.Content ??= new Dictionary<string, IOpenApiMediaType>();
            foreach (var (contentType, format) in also.Types)
                answer.Content[contentType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = format } };
        }
        // Anonymous routes (the glossary) need no token: say so, or a validating proxy refuses requests without one.
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Microsoft.AspNetCore.Authorization.IAllowAnonymous>().Any())
        {
            operation.Security = [];
            operation.Responses?.Remove("401");
            operation.Responses?.Remove("403");
        }
    }

    /// <summary>ETag on every answer about a case, Location on a new case, Retry-After on 503, Idempotent-Replayed on a repeat.</summary>
    private static void DescribeResponseHeaders(OpenApiOperation operation, string method, string path, bool command)
    {
        if (operation.Responses is null) return;
        var aboutCase = OnACase(path) || (HttpMethods.IsPost(method) && path.EndsWith("cases", StringComparison.Ordinal));
        foreach (var (status, response) in operation.Responses)
        {
            if (response is not OpenApiResponse r) continue;
            if (status.StartsWith('2'))
            {
                if (aboutCase)
                    Add(r, "ETag", "The case's version after this answer, quoted (\"7\"): send it back as If-Match.");
                if (HttpMethods.IsPost(method) && path.EndsWith("cases", StringComparison.Ordinal))
                    Add(r, "Location", "Where the new case is: /api/v1/cases/{id}.");
                if (command) Add(r, "Idempotent-Replayed", "\"true\" when this is the stored answer of an earlier request with the same Idempotency-Key.");
            }
            if (status is "503" or "429") Add(r, "Retry-After", "Seconds to wait before trying again.");
        }
    }

    /// <summary>A route on one case (its version is the ETag and If-Match), not one on a webhook endpoint or an alert by id.</summary>
    private static bool OnACase(string path) => path.Contains("cases/{id}", StringComparison.Ordinal);

    private static void Add(OpenApiResponse response, string name, string description)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
    }

    private static OpenApiParameter Header(string name, string description) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = false,
        Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<System.Text.Json.Serialization.JsonPropertyNameAttribute>()?.Name
        ?? System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    [GeneratedRegex(@"\{(?<name>[A-Za-z0-9_]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();
}

/// <summary>
/// DESTRUCTION-TWO-LEADS: a personal text in an answer (a property marked <see cref="Domain.Cases.PersonalAttribute"/>) is
/// a <c>PersonalText</c>: the text, or <c>{ "destroyed": true }</c> once the case's key is destroyed.
/// </summary>
public sealed class PersonalFieldsSchemaFilter : ISchemaFilter
{
    public const string PersonalText = "PersonalText";
    public const string DestroyedValue = "DestroyedValue";

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { Count: > 0 } properties }) return;
        foreach (var property in context.Type.GetProperties())
        {
            var name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (property.PropertyType != typeof(string) || !property.IsDefined(typeof(Domain.Cases.PersonalAttribute), true)
                || !properties.TryGetValue(name, out var current)) continue;
            Register(context.SchemaRepository);
            var text = new OpenApiSchemaReference(PersonalText);
            properties[name] = current.Type is { } type && type.HasFlag(JsonSchemaType.Null)
                ? new OpenApiSchema { OneOf = [text, new OpenApiSchema { Type = JsonSchemaType.Null }] }
                : text;
        }
    }

    private static void Register(SchemaRepository repository)
    {
        if (repository.Schemas.ContainsKey(PersonalText)) return;
        repository.AddDefinition(DestroyedValue, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "What a personal field reads as once the case's data key was destroyed (DESTRUCTION-TWO-LEADS).",
            Properties = new Dictionary<string, IOpenApiSchema> { ["destroyed"] = new OpenApiSchema { Type = JsonSchemaType.Boolean } },
            Required = new HashSet<string> { "destroyed" },
        });
        repository.AddDefinition(PersonalText, new OpenApiSchema
        {
            Description = "Text recorded about a person (stored encrypted under the case's key): the text, or { \"destroyed\": true } once the case's " +
                          "personal data was destroyed (DESTRUCTION-TWO-LEADS).",
            OneOf = [new OpenApiSchema { Type = JsonSchemaType.String }, new OpenApiSchemaReference(DestroyedValue)],
        });
    }
}

/// <summary>
/// Marks what is always on the wire as required. Answers: every property (System.Text.Json writes each one, null or
/// not). Requests: what their validator requires (FluentValidation NotNull/NotEmpty without a condition), or what the
/// DTO marks <c>[Required]</c> (nested inputs); a required request field is not nullable, since null is refused.
/// </summary>
public sealed class RequiredFieldsSchemaFilter : ISchemaFilter
{
    private static readonly Dictionary<Type, HashSet<string>> ValidatedRequired = FindValidatedRequired();

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema s || s.Properties is not { Count: > 0 } properties || context.Type.Namespace?.StartsWith("SafeguardingCases", StringComparison.Ordinal) != true) return;
        var isRequest = IsRequest(context.Type);
        var required = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in context.Type.GetProperties())
        {
            var name = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (!properties.ContainsKey(name)) continue;
            // Problems carry detail, instance, ruleIds and errors only when they have them.
            var optionalInProblem = context.Type.Name.EndsWith("Problem", StringComparison.Ordinal)
                && (Nullable.GetUnderlyingType(property.PropertyType) is not null || new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable);
            var needed = (!isRequest && !optionalInProblem)
                || property.GetCustomAttribute<System.ComponentModel.DataAnnotations.RequiredAttribute>() is not null
                || (ValidatedRequired.TryGetValue(context.Type, out var validated) && validated.Contains(property.Name));
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable);
            // A nullable reference (an enum or an object) is "that schema or null"; a required request field is never null.
            if (nullable && !(isRequest && needed) && properties[name] is OpenApiSchemaReference reference)
                properties[name] = new OpenApiSchema { AnyOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }] };
            if (!needed) continue;
            required.Add(name);
            if (isRequest && properties[name] is OpenApiSchema { Type: { } type } p && type.HasFlag(JsonSchemaType.Null))
                p.Type = type & ~JsonSchemaType.Null;
        }
        s.Required = required;
    }

    private static bool IsRequest(Type type) => type.Name.EndsWith("Request", StringComparison.Ordinal) || type.Name.EndsWith("Input", StringComparison.Ordinal);

    /// <summary>For each request type with a FastEndpoints validator, the properties it requires unconditionally.</summary>
    private static Dictionary<Type, HashSet<string>> FindValidatedRequired()
    {
        var result = new Dictionary<Type, HashSet<string>>();
        foreach (var type in typeof(RequiredFieldsSchemaFilter).Assembly.GetTypes())
        {
            if (type.IsAbstract || type.BaseType is not { IsGenericType: true } b || b.GetGenericTypeDefinition() != typeof(Validator<>)) continue;
            if (Activator.CreateInstance(type) is not FluentValidation.IValidator validator) continue;
            var descriptor = validator.CreateDescriptor();
            var requestType = b.GetGenericArguments()[0];
            var set = new HashSet<string>(StringComparer.Ordinal);
            // Rules are named as the JSON names the field (FastEndpoints' property name resolver): match either way.
            foreach (var rule in descriptor.Rules)
            {
                if (rule.Components.Any(c => !c.HasCondition && !c.HasAsyncCondition
                        && c.Validator is FluentValidation.Validators.INotNullValidator or FluentValidation.Validators.INotEmptyValidator)
                    && requestType.GetProperties().FirstOrDefault(p => string.Equals(p.Name, rule.PropertyName, StringComparison.OrdinalIgnoreCase)) is { } property)
                    set.Add(property.Name);
            }
            result[requestType] = set;
        }
        return result;
    }
}

/// <summary>Tag descriptions and the server, for readers of the document and for generated clients.</summary>
public sealed class TagsAndServersDocumentFilter : IDocumentFilter
{
    private static readonly (string Name, string Description)[] Tags =
    [
        ("Cases", "Open, read, list, close and reopen cases."),
        ("Disclosures", "What the user told the service, when, and the concerns it raises."),
        ("Persons", "The people at risk in a case, their age and the adult-at-risk answers."),
        ("Risk assessments", "A clinician's risk assessment: the ground of every escalation (CURRENT-INFO, CLINICIAN-DECIDES)."),
        ("Safety plans", "Attempts to form a safety plan before an emergency escalation (SAFETY-PLAN-FIRST)."),
        ("Escalations", "Escalations the policy permits, refused with 422 and ruleIds when it does not."),
        ("No-escalation decisions", "Decisions not to escalate, with their reasons (RECORD-NO-ESCALATION)."),
        ("Transparency notices", "What the service tells the user after an escalation (TRANSPARENCY)."),
        ("Agency responses", "What an agency said back (AGENCY-FEEDBACK)."),
        ("Notes", "Free-text notes on a case."),
        ("Overrides", "Policy overrides approved by two different safeguarding leads (OVERRIDE)."),
        ("Required reports", "Delays of a required report (MANDATORY-CSA)."),
        ("Policy", "The policy decision for a case, its parameters and its glossary."),
        ("Audit", "History, as-of, integrity, access log, escalation and override audits."),
        ("Reports", "Counts for safeguarding leads."),
        ("Allocation", "Who a case is allocated to: the member of staff who receives its alerts."),
        ("Retention", "Retention reviews, decisions and legal holds (RETENTION-SCHEDULE, LEGAL-HOLD)."),
        ("Webhooks", "Other systems' endpoints for alerts and case events, signed as the Standard Webhooks specification says; their deliveries."),
        ("Staff", "Who has signed in to the API: the sign-in names a lead allocates cases to and names in restrictions."),
        ("Alerts", "The signed-in person's alerts about deadlines (due soon, overdue, escalated), and acknowledging them."),
    ];

    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context)
    {
        var used = swaggerDoc.Paths.Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? [])
            .SelectMany(o => o.Tags?.AsEnumerable() ?? []).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        swaggerDoc.Tags = new HashSet<OpenApiTag>(Tags.Where(t => used.Contains(t.Name)).Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
        swaggerDoc.Servers = [new OpenApiServer { Url = "/", Description = "This API (the document is served by it)." }];
    }
}
