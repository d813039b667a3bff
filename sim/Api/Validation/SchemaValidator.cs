using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Runai.Sim.Api.Tables;

namespace Runai.Sim.Api.Validation;

/// <summary>
/// Validates an object against a structural openAPIV3Schema as the API server does for custom resources:
/// undeclared fields are pruned (and reported per <see cref="FieldValidation"/>), then type, required, enum,
/// bounds, lengths, patterns and item counts are checked, with errors worded as the real server words them.
/// </summary>
internal static class SchemaValidator
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new();

    /// <summary>ObjectMeta's fields; anything else under metadata is unknown whatever the schema says.</summary>
    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    /// <summary>Validates and prunes <paramref name="obj"/> in place.</summary>
    public static ValidationResult Validate(JsonObject obj, JsonObject schema, FieldValidation mode)
    {
        var walk = new Walk();
        walk.Object(obj, schema, "", root: true);
        var apiVersion = obj.Str("apiVersion");
        var group = apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        return new ValidationResult(mode, group, walk.Errors, walk.Unknown.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// The error the server answers for an invalid result: 400 BadRequest <c>strict decoding error: unknown field "spec.foo"</c>
    /// when Strict found unknown fields (decoding fails before validation), else 422 Invalid with one cause per field.
    /// </summary>
    /// <param name="kind">The kind (<c>Project</c>), qualified with the result's group unless already qualified (<c>Project.run.ai</c>).</param>
    public static ApiException ToException(ValidationResult result, string kind, string name)
    {
        if (result.Mode == FieldValidation.Strict && result.UnknownFields.Count > 0)
        {
            return ApiException.BadRequest("strict decoding error: " +
                string.Join(", ", result.UnknownFields.Select(ValidationResult.UnknownFieldMessage)));
        }

        if (result.Errors.Count == 0)
        {
            throw new ArgumentException("the validation result has no errors to report", nameof(result));
        }

        var dot = kind.IndexOf('.', StringComparison.Ordinal);
        var group = dot >= 0 ? kind[(dot + 1)..] : result.Group;
        return Invalid(dot >= 0 ? kind[..dot] : kind, group, name, result.Errors);
    }

    /// <summary>422 Invalid as apimachinery's NewInvalid builds it: <c>Kind.group "name" is invalid: [a, b]</c> with causes.</summary>
    internal static ApiException Invalid(string kind, string group, string name, IReadOnlyList<FieldError> errors)
    {
        var qualified = group.Length == 0 ? kind : $"{kind}.{group}";
        var messages = errors.Select(e => e.ToString()).Distinct().ToList();
        var aggregate = messages.Count == 1 ? messages[0] : "[" + string.Join(", ", messages) + "]";
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Body, ["field"] = e.Field });
        }

        var details = new JsonObject { ["name"] = name };
        if (group.Length > 0)
        {
            details["group"] = group;
        }

        details["kind"] = kind;
        details["causes"] = causes;
        return ApiException.Invalid($"{qualified} \"{name}\" is invalid: {aggregate}", details);
    }

    private sealed class Walk
    {
        public List<FieldError> Errors { get; } = [];
        public List<string> Unknown { get; } = [];

        public void Value(JsonNode? value, JsonObject schema, string path)
        {
            if (value is null)
            {
                // Non-nullable nulls inside objects are pruned before validation; one reaching here is in an array.
                if (!schema.Bool("nullable") && TypeOf(schema) is { } expected)
                {
                    Errors.Add(FieldError.TypeInvalid(path, "null", $"{path} in body must be of type {expected}: \"null\""));
                }

                return;
            }

            var actual = JsonTypeName(value);
            if (schema.Bool("x-kubernetes-int-or-string"))
            {
                if (actual is not ("integer" or "string"))
                {
                    Errors.Add(FieldError.TypeInvalid(path, actual, $"{path} in body must be of type integer,string: \"{actual}\""));
                    return;
                }
            }
            else if (TypeOf(schema) is { } expected && !TypeMatches(expected, value, actual))
            {
                Errors.Add(FieldError.TypeInvalid(path, actual, $"{path} in body must be of type {expected}: \"{actual}\""));
                return;
            }

            if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            {
                Errors.Add(FieldError.NotSupported(path, value,
                    allowed.Select(a => a?.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : a?.ToJsonString() ?? "null")));
            }

            switch (value)
            {
                case JsonObject o:
                    Object(o, schema, path, root: false);
                    break;
                case JsonArray a:
                    Array(a, schema, path);
                    break;
                default:
                    if (actual == "string")
                    {
                        String(value.GetValue<string>(), value, schema, path);
                    }
                    else if (actual is "integer" or "number")
                    {
                        Number(value, schema, path);
                    }

                    break;
            }
        }

        public void Object(JsonObject obj, JsonObject schema, string path, bool root)
        {
            var properties = schema["properties"] as JsonObject;
            var additional = schema["additionalProperties"];
            var preserve = schema.Bool("x-kubernetes-preserve-unknown-fields");
            var embedded = schema.Bool("x-kubernetes-embedded-resource");

            if (schema["required"] is JsonArray required)
            {
                foreach (var name in required.Select(r => r.Str()).Where(n => n.Length > 0))
                {
                    if (!obj.ContainsKey(name))
                    {
                        Errors.Add(FieldError.Required(Child(path, name)));
                    }
                }
            }

            foreach (var (key, child) in obj.ToList())
            {
                var childPath = Child(path, key);
                if ((root || embedded) && key is "apiVersion" or "kind")
                {
                    if (properties?[key] is JsonObject s)
                    {
                        Value(child, s, childPath);
                    }

                    continue;
                }

                if ((root || embedded) && key == "metadata")
                {
                    Metadata(obj, child, childPath);
                    continue;
                }

                var childSchema = properties?[key] as JsonObject ?? additional as JsonObject;
                if (childSchema is null)
                {
                    if (!preserve && additional?.GetValueKind() != JsonValueKind.True)
                    {
                        Unknown.Add(childPath);
                        obj.Remove(key);
                    }

                    continue;
                }

                if (child is null && !childSchema.Bool("nullable") && childSchema["default"] is null)
                {
                    obj.Remove(key); // as the real server prunes nulls a non-nullable field cannot hold
                    continue;
                }

                Value(child, childSchema, childPath);
            }
        }

        private void Metadata(JsonObject parent, JsonNode? metadata, string path)
        {
            if (metadata is not JsonObject meta)
            {
                if (metadata is not null)
                {
                    Errors.Add(FieldError.TypeInvalid(path, JsonTypeName(metadata), $"{path} in body must be of type object: \"{JsonTypeName(metadata)}\""));
                    parent.Remove("metadata");
                }

                return;
            }

            foreach (var key in meta.Select(p => p.Key).ToList())
            {
                if (!ObjectMetaFields.Contains(key))
                {
                    Unknown.Add(Child(path, key));
                    meta.Remove(key);
                }
            }
        }

        private void Array(JsonArray array, JsonObject schema, string path)
        {
            if (schema["minItems"].TryGetLong(out var min) && array.Count < min)
            {
                Errors.Add(FieldError.Invalid(path, array, $"{path} in body should have at least {min} items"));
            }

            if (schema["maxItems"].TryGetLong(out var max) && array.Count > max)
            {
                Errors.Add(FieldError.TooMany(path, array.Count, max));
            }

            if (schema["items"] is JsonObject items)
            {
                for (var i = 0; i < array.Count; i++)
                {
                    Value(array[i], items, $"{path}[{i}]");
                }
            }
        }

        private void String(string s, JsonNode value, JsonObject schema, string path)
        {
            // OpenAPI counts characters (runes), not bytes or UTF-16 units.
            var length = s.EnumerateRunes().Count();
            if (schema["maxLength"].TryGetLong(out var max) && length > max)
            {
                Errors.Add(FieldError.TooLong(path, max));
            }

            if (schema["minLength"].TryGetLong(out var min) && length < min)
            {
                Errors.Add(FieldError.Invalid(path, value, $"{path} in body should be at least {min} chars long"));
            }

            if (schema.Str("pattern") is { Length: > 0 } pattern && !PatternFor(pattern).IsMatch(s))
            {
                Errors.Add(FieldError.Invalid(path, value, $"{path} in body should match '{pattern}'"));
            }
        }

        private void Number(JsonNode value, JsonObject schema, string path)
        {
            value.TryGetDouble(out var n);
            if (schema["minimum"].TryGetDouble(out var min))
            {
                var exclusive = schema.Bool("exclusiveMinimum");
                if (exclusive ? n <= min : n < min)
                {
                    Errors.Add(FieldError.Invalid(path, value,
                        $"{path} in body should be greater than {(exclusive ? "" : "or equal to ")}{GoFormat.Float(min)}"));
                }
            }

            if (schema["maximum"].TryGetDouble(out var max))
            {
                var exclusive = schema.Bool("exclusiveMaximum");
                if (exclusive ? n >= max : n > max)
                {
                    Errors.Add(FieldError.Invalid(path, value,
                        $"{path} in body should be less than {(exclusive ? "" : "or equal to ")}{GoFormat.Float(max)}"));
                }
            }

            if (schema["multipleOf"].TryGetDouble(out var factor) && factor > 0 && Math.Abs(Math.IEEERemainder(n, factor)) > 1e-9)
            {
                Errors.Add(FieldError.Invalid(path, value, $"{path} in body should be a multiple of {GoFormat.Float(factor)}"));
            }

            var (lo, hi) = schema.Str("format") switch
            {
                "int32" => (int.MinValue, int.MaxValue),
                "int64" => (long.MinValue, (double)long.MaxValue),
                _ => (double.NegativeInfinity, double.PositiveInfinity),
            };
            if (n < lo)
            {
                Errors.Add(FieldError.Invalid(path, value, $"{path} in body should be greater than or equal to {GoFormat.Float(lo)}"));
            }
            else if (n > hi)
            {
                Errors.Add(FieldError.Invalid(path, value, $"{path} in body should be less than or equal to {GoFormat.Float(hi)}"));
            }
        }

        private static Regex PatternFor(string pattern) =>
            Patterns.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));

        private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

        private static string? TypeOf(JsonObject schema) => schema.Str("type") is { Length: > 0 } t ? t : null;

        private static bool TypeMatches(string expected, JsonNode value, string actual) => expected switch
        {
            // A whole number written as 2.0 is an integer, as the real server's validator treats it.
            "integer" => actual == "integer" || (actual == "number" && value.TryGetDouble(out var d) && Math.Floor(d) == d && !double.IsInfinity(d)),
            "number" => actual is "number" or "integer",
            _ => expected == actual,
        };

        private static string JsonTypeName(JsonNode value) => value.GetValueKind() switch
        {
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => value.TryGetLong(out _) ? "integer" : "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        };
    }
}
