using System.Reflection;
using System.Text.RegularExpressions;
using FastEndpoints;
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
            });
            // Many DTOs are called Request/Response: full names keep schema ids unique.
            o.CustomSchemaIds(t => (t.FullName ?? t.Name).Replace("+", ".", StringComparison.Ordinal).Replace("SafeguardingCases.", "", StringComparison.Ordinal));
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
            o.SupportNonNullableReferenceTypes();
            o.UseAllOfToExtendReferenceSchemas();
        });
        return services;
    }
}

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
                        Required = false,
                        Schema = context.SchemaGenerator.GenerateSchema(property.PropertyType, context.SchemaRepository),
                    });
                }
            }
        }
        else
        {
            if (HttpMethods.IsPost(method))
            {
                operation.Parameters.Add(Header(IdempotencyKeyOptions.HeaderName,
                    "Repeat a POST safely: the same key and body return the first response and append nothing; another body with the same key gets 422."));
            }
            if (path.Contains("{id}", StringComparison.Ordinal))
                operation.Parameters.Add(Header("If-Match", "The case version you last saw, as its ETag (\"7\"). A stale version gets 412."));
        }
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
