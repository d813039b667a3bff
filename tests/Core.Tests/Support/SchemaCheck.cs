using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Core.Tests.Support;

/// <summary>
/// A small structural-schema checker: reports every place a JSON value has a property the schema does not
/// declare, a value of the wrong type, a value outside an enum or minimum, or a missing required property.
/// </summary>
internal static class SchemaCheck
{
    public static IReadOnlyList<string> Violations(JsonNode? value, JsonObject schema)
    {
        var problems = new List<string>();
        Check(value, schema, "", problems);
        return problems;
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, List<string> problems)
    {
        var at = path.Length == 0 ? "(root)" : path;
        if (value is null)
        {
            problems.Add($"{at}: null is not allowed");
            return;
        }
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        if (schema["x-kubernetes-int-or-string"]?.GetValue<bool>() == true)
        {
            if (value.GetValueKind() != JsonValueKind.String && !IsInteger(value))
            {
                problems.Add($"{at}: expected an integer or a string, got {value.ToJsonString()}");
            }
            return;
        }
        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
                CheckObject(value, schema, path, problems, preserve);
                break;
            case "array":
                if (value is not JsonArray array)
                {
                    problems.Add($"{at}: expected an array, got {value.ToJsonString()}");
                    return;
                }
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], schema["items"]!.AsObject(), $"{path}[{i}]", problems);
                }
                break;
            case "string":
                if (value.GetValueKind() != JsonValueKind.String)
                {
                    problems.Add($"{at}: expected a string, got {value.ToJsonString()}");
                    return;
                }
                var text = value.GetValue<string>();
                if (schema["format"]?.GetValue<string>() == "date-time"
                    && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    problems.Add($"{at}: '{text}' is not a date-time");
                }
                CheckEnum(value, schema, at, problems);
                break;
            case "integer":
                if (!IsInteger(value))
                {
                    problems.Add($"{at}: expected an integer, got {value.ToJsonString()}");
                    return;
                }
                CheckRange(value, schema, at, problems);
                break;
            case "number":
                if (value.GetValueKind() != JsonValueKind.Number)
                {
                    problems.Add($"{at}: expected a number, got {value.ToJsonString()}");
                    return;
                }
                CheckRange(value, schema, at, problems);
                break;
            case "boolean":
                if (value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                {
                    problems.Add($"{at}: expected a boolean, got {value.ToJsonString()}");
                }
                break;
            case null when preserve:
                break;
            default:
                problems.Add($"{at}: schema has no usable type ({type ?? "none"})");
                break;
        }
    }

    private static void CheckObject(JsonNode value, JsonObject schema, string path, List<string> problems, bool preserve)
    {
        var at = path.Length == 0 ? "(root)" : path;
        if (value is not JsonObject obj)
        {
            problems.Add($"{at}: expected an object, got {value.ToJsonString()}");
            return;
        }
        var properties = schema["properties"]?.AsObject();
        var additional = schema["additionalProperties"] as JsonObject;
        foreach (var (name, child) in obj)
        {
            var childPath = path.Length == 0 ? name : $"{path}.{name}";
            if (properties?[name] is JsonObject childSchema)
            {
                Check(child, childSchema, childPath, problems);
            }
            else if (additional is not null)
            {
                Check(child, additional, childPath, problems);
            }
            else if (!preserve && path != "metadata")
            {
                // The API server validates metadata itself; everywhere else an undeclared field is pruned or rejected.
                problems.Add($"{childPath}: not declared in the schema");
            }
        }
        if (schema["required"] is JsonArray required)
        {
            foreach (var name in required.Select(r => r!.GetValue<string>()))
            {
                if (!obj.ContainsKey(name))
                {
                    problems.Add($"{at}: required property '{name}' is missing");
                }
            }
        }
    }

    // ToJsonString works however the node was made (parsed, or set from an int in a test).
    private static bool IsInteger(JsonNode value) =>
        value.GetValueKind() == JsonValueKind.Number
        && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
        && decimal.Truncate(number) == number;

    private static void CheckEnum(JsonNode value, JsonObject schema, string at, List<string> problems)
    {
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            problems.Add($"{at}: {value.ToJsonString()} is not one of {allowed.ToJsonString()}");
        }
    }

    private static void CheckRange(JsonNode value, JsonObject schema, string at, List<string> problems)
    {
        var number = decimal.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
        if (schema["minimum"] is JsonNode min && number < min.GetValue<decimal>())
        {
            problems.Add($"{at}: {number} is below the minimum {min}");
        }
        if (schema["maximum"] is JsonNode max && number > max.GetValue<decimal>())
        {
            problems.Add($"{at}: {number} is above the maximum {max}");
        }
        CheckEnum(value, schema, at, problems);
    }
}
