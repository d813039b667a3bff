using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Defaulting;

/// <summary>
/// Applies the <c>default</c> values of a structural openAPIV3Schema, as a real server does when it reads a
/// custom resource: an absent field (or a null one that is not nullable) takes its default, and defaults
/// inside a defaulted object apply too.
/// </summary>
internal static class SchemaDefaults
{
    public static void Apply(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj when schema["properties"] is JsonObject properties:
                foreach (var (name, propertyNode) in properties)
                {
                    if (propertyNode is not JsonObject property) continue;
                    var nullable = property["nullable"] is JsonValue n && n.TryGetValue<bool>(out var isNullable) && isNullable;
                    var present = obj.TryGetPropertyValue(name, out var value);
                    if (property.TryGetPropertyValue("default", out var @default) && (!present || (value is null && !nullable)))
                        obj[name] = value = @default?.DeepClone();
                    if (value is not null) Apply(value, property);
                }
                break;
            case JsonObject map when schema["additionalProperties"] is JsonObject valueSchema:
                foreach (var (_, value) in map.ToList())
                    if (value is not null) Apply(value, valueSchema);
                break;
            case JsonArray array when schema["items"] is JsonObject itemSchema:
                foreach (var item in array)
                    if (item is not null) Apply(item, itemSchema);
                break;
        }
    }
}
