using System.Text.Json;
using System.Text.Json.Serialization;
using NodaTime;
using NodaTime.Serialization.SystemTextJson;

namespace SafeguardingCases.Api.Infrastructure.Json;

/// <summary>One JSON shape for HTTP and the event store: camelCase, enums as strings, NodaTime instants as ISO-8601.</summary>
public static class JsonSetup
{
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
        // Numbers are not accepted for enums: "route": 2 is as wrong as "route": "Sideways".
        options.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
        options.ConfigureForNodaTime(DateTimeZoneProviders.Tzdb);
        return options;
    }

    public static JsonSerializerOptions Create() => Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
}
