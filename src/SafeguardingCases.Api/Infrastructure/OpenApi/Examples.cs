using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace SafeguardingCases.Api.Infrastructure.OpenApi;

/// <summary>
/// An example on every operation: the request body (its required fields) and the success answer, built from the
/// schemas with the values of worked example 1 (a 16-year-old on the boards, a referral to children's social care), so
/// Swagger UI's "Try it out" starts from a request the API accepts (a test sends every request example). A value is
/// looked up by "{operationId}.{property}" first, then by the property's name.
/// </summary>
public sealed class ExamplesOperationFilter : IOperationFilter
{
    private const string Id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    private static readonly Dictionary<string, JsonNode> ByName = new(StringComparer.Ordinal)
    {
        ["channel"] = "Boards", ["route"] = "NonEmergency", ["recommendedRoute"] = "NonEmergency", ["agency"] = "ChildrensSocialCare",
        ["category"] = "Physical", ["status"] = "Current", ["threatToLife"] = "None", ["outcome"] = "NotPossible",
        ["personId"] = "service-user", ["reference"] = "handle-9", ["sourceReference"] = "post-123",
        ["summary"] = "Says a parent hits them", ["text"] = "Called the user back; they are safe tonight.",
        ["rationale"] = "Ongoing physical abuse at home", ["justification"] = "Children in the household may be at risk",
        ["reason"] = "Referred and the user told", ["message"] = "We shared your name and what you told us with children's social care.",
        ["sentVia"] = "Boards private message", ["description"] = "Younger sibling", ["detail"] = "No safe way to contact the user",
        ["ruleIds"] = new JsonArray("CHILD-SAFEGUARDING"), ["version"] = 3, ["ageYears"] = 16,
        ["currentConcerns"] = new JsonArray("Physical"), ["allowedSubjects"] = new JsonArray("officer-1", "clinician-1"),
        ["subject"] = "officer-1", ["email"] = "sam.patel@example.org", ["url"] = "https://receiver.example.org/safeguarding",
        ["name"] = "Sam Patel",
        ["restrictCase.reason"] = "The user's parent works for the service",
        ["breakGlass.reason"] = "On duty tonight: the user has posted again and the allocated officer is away",
        ["reopenCase.reason"] = "The user has posted again about the same concern",
        ["delayRequiredReport.reason"] = "The user asked for a day to tell their mother first",
        ["delayRequiredReport.until"] = "2026-03-05T10:15:00Z",
        ["recordNoEscalationDecision.reason"] = "Adult, historical abuse, no children known to be at risk",
        ["recordAgencyResponse.summary"] = "Children's social care will visit the family within 24 hours",
        ["placeLegalHold.reason"] = "Police investigation: the records are requested",
        ["recordSafetyPlan.reason"] = "The user left the chat before a plan could be agreed",
    };

    /// <summary>
    /// Whole request bodies, where the required fields alone would be refused (a field required only with another's
    /// value) or empty.
    /// </summary>
    private static readonly Dictionary<string, JsonNode> Bodies = new(StringComparer.Ordinal)
    {
        ["updatePerson"] = new JsonObject { ["ageYears"] = 16 },
        ["recordRetentionDecision"] = new JsonObject
        {
            ["decision"] = "Keep", ["keepUntil"] = "2033-03-04T10:15:00Z", ["reason"] = "An agency's enquiry is still open",
        },
    };

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var scope = operation.OperationId ?? "";
        foreach (var media in operation.RequestBody?.Content?.Values ?? [])
        {
            if (media is OpenApiMediaType m && m.Schema is { } s)
                m.Example = Bodies.TryGetValue(scope, out var body) ? body.DeepClone() : Example(s, context.SchemaRepository, scope, requiredOnly: true, depth: 0);
        }
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (!status.StartsWith('2') || response.Content is null) continue;
            foreach (var media in response.Content.Values)
            {
                if (media is OpenApiMediaType m && m.Schema is { } s) m.Example = Example(s, context.SchemaRepository, scope, requiredOnly: false, depth: 0);
            }
        }
    }

    private static bool Fits(JsonNode value, JsonSchemaType type) => value.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => type.HasFlag(JsonSchemaType.String),
        System.Text.Json.JsonValueKind.Number => type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number),
        System.Text.Json.JsonValueKind.Array => type.HasFlag(JsonSchemaType.Array),
        _ => false,
    };

    private static bool TryKnown(string scope, string? name, out JsonNode known)
    {
        known = null!;
        return name is not null && (ByName.TryGetValue($"{scope}.{name}", out known!) || ByName.TryGetValue(name, out known!));
    }

    private static JsonNode? Example(IOpenApiSchema schema, SchemaRepository repository, string scope, bool requiredOnly, int depth, string? name = null)
    {
        if (depth > 16) return null;
        if (schema is OpenApiSchemaReference reference && reference.Reference.Id is { } id && repository.Schemas.TryGetValue(id, out var target))
            return Example(target, repository, scope, requiredOnly, depth + 1, name);
        if (schema.AnyOf is { Count: > 0 } anyOf) return Example(anyOf[0], repository, scope, requiredOnly, depth + 1, name);
        if (schema.OneOf is { Count: > 0 } oneOf) return Example(oneOf[0], repository, scope, requiredOnly, depth + 1, name);
        if (schema.AllOf is { Count: > 0 } allOf) return Example(allOf[0], repository, scope, requiredOnly, depth + 1, name);
        if (schema.Enum is { Count: > 0 } values)
            return TryKnown(scope, name, out var known) && values.Any(v => v?.ToString() == known.ToString()) ? known.DeepClone() : values[0]?.DeepClone();
        var type = schema.Type ?? JsonSchemaType.Object;
        if (TryKnown(scope, name, out var value) && Fits(value, type)) return value.DeepClone();
        if (type.HasFlag(JsonSchemaType.Array))
            return schema.Items is { } items && Example(items, repository, scope, requiredOnly, depth + 1, name) is { } item ? new JsonArray(item) : new JsonArray();
        if (type.HasFlag(JsonSchemaType.Object) || schema.Properties is { Count: > 0 })
        {
            var obj = new JsonObject();
            foreach (var (property, propertySchema) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
            {
                if (requiredOnly && schema.Required?.Contains(property) != true) continue;
                obj[property] = Example(propertySchema, repository, scope, requiredOnly, depth + 1, property);
            }
            return obj;
        }
        if (type.HasFlag(JsonSchemaType.String))
            return schema.Format switch { "uuid" => Id, "date-time" => "2026-03-04T10:15:00Z", "date" => "2010-05-01", _ => "text" };
        if (type.HasFlag(JsonSchemaType.Integer)) return 1;
        if (type.HasFlag(JsonSchemaType.Number)) return 1.0;
        if (type.HasFlag(JsonSchemaType.Boolean)) return true;
        return null;
    }
}
