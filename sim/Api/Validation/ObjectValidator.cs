using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Runai.Sim.Api.Tables;

namespace Runai.Sim.Api.Validation;

/// <summary>
/// The ObjectMeta checks every kind gets: name syntax (DNS-1123 subdomain; a label for namespaces, a DNS-1035
/// label for services), namespace presence, label and annotation syntax and the annotation size limit.
/// Errors are worded as apimachinery's validation words them.
/// </summary>
internal static partial class ObjectValidator
{
    public const int TotalAnnotationSizeLimitBytes = 256 * 1024;

    private const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    private const string Dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?";
    private const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    private const string LabelValueFormat = "(" + QualifiedNameFormat + ")?";

    private const string QualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    /// <summary>
    /// Throws 422 Invalid naming every problem with <c>metadata</c>. The caller has already put the request's
    /// namespace on namespaced objects (and cleared it on cluster-scoped ones), as the real server does first.
    /// </summary>
    public static void ValidateObjectMeta(JsonObject obj, bool namespaced)
    {
        var errors = ObjectMetaErrors(obj, namespaced);
        if (errors.Count == 0)
        {
            return;
        }

        var apiVersion = obj.Str("apiVersion");
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash >= 0 ? apiVersion[..slash] : "";
        var name = obj.Str("metadata", "name");
        throw SchemaValidator.Invalid(obj.Str("kind"), group, name.Length > 0 ? name : obj.Str("metadata", "generateName"), errors);
    }

    public static IReadOnlyList<FieldError> ObjectMetaErrors(JsonObject obj, bool namespaced)
    {
        var errors = new List<FieldError>();
        var meta = obj["metadata"];
        var name = meta.Str("name");
        var generateName = meta.Str("generateName");
        Func<string, IEnumerable<string>> nameRule = obj.Str("kind") switch
        {
            "Namespace" when obj.Str("apiVersion") == "v1" => Dns1123Label,
            "Service" when obj.Str("apiVersion") == "v1" => Dns1035Label,
            // RBAC objects are named like path segments ("system:aggregate-to-admin"), as on a real server.
            "Role" or "ClusterRole" or "RoleBinding" or "ClusterRoleBinding" when obj.Str("apiVersion") == "rbac.authorization.k8s.io/v1" => PathSegmentName,
            _ => Dns1123Subdomain,
        };

        if (name.Length > 0)
        {
            errors.AddRange(nameRule(name).Select(m => FieldError.Invalid("metadata.name", name, m)));
        }
        else if (generateName.Length > 0)
        {
            // A prefix may end in '-' (the generated suffix follows it).
            var masked = generateName.Length > 1 && generateName.EndsWith('-') ? generateName[..^1] + "a" : generateName;
            errors.AddRange(nameRule(masked).Select(m => FieldError.Invalid("metadata.generateName", generateName, m)));
        }
        else
        {
            errors.Add(FieldError.Required("metadata.name", "name or generateName is required"));
        }

        var ns = meta.Str("namespace");
        if (namespaced)
        {
            if (ns.Length == 0)
            {
                errors.Add(FieldError.Required("metadata.namespace"));
            }
            else
            {
                errors.AddRange(Dns1123Label(ns).Select(m => FieldError.Invalid("metadata.namespace", ns, m)));
            }
        }
        else if (ns.Length > 0)
        {
            errors.Add(FieldError.Forbidden("metadata.namespace", "not allowed on this type"));
        }

        foreach (var (key, value) in meta.StringMap("labels"))
        {
            errors.AddRange(QualifiedName(key).Select(m => FieldError.Invalid("metadata.labels", key, m)));
            errors.AddRange(LabelValue(value).Select(m => FieldError.Invalid("metadata.labels", value, m)));
        }

        long annotationBytes = 0;
        foreach (var (key, value) in meta.StringMap("annotations"))
        {
            errors.AddRange(QualifiedName(key.ToLowerInvariant()).Select(m => FieldError.Invalid("metadata.annotations", key, m)));
            annotationBytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value);
        }

        if (annotationBytes > TotalAnnotationSizeLimitBytes)
        {
            errors.Add(FieldError.TooLong("metadata.annotations", TotalAnnotationSizeLimitBytes));
        }

        if (meta?["finalizers"] is JsonArray finalizers)
        {
            foreach (var f in finalizers.Select(f => f.Str()))
            {
                errors.AddRange(QualifiedName(f).Select(m => FieldError.Invalid("metadata.finalizers", f, m)));
            }
        }

        return errors;
    }

    public static IEnumerable<string> Dns1123Subdomain(string value)
    {
        if (value.Length > 253)
        {
            yield return MaxLength(253);
        }

        if (!SubdomainRegex().IsMatch(value))
        {
            yield return RegexMessage(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                Dns1123SubdomainFormat, "example.com");
        }
    }

    /// <summary>Names that only have to be usable as one URL path segment.</summary>
    public static IEnumerable<string> PathSegmentName(string value)
    {
        if (value is "." or "..")
        {
            yield return $"may not be '{value}'";
        }

        foreach (var bad in new[] { "/", "%" })
        {
            if (value.Contains(bad, StringComparison.Ordinal))
            {
                yield return $"may not contain '{bad}'";
            }
        }
    }

    public static IEnumerable<string> Dns1123Label(string value)
    {
        if (value.Length > 63)
        {
            yield return MaxLength(63);
        }

        if (!LabelRegex().IsMatch(value))
        {
            yield return RegexMessage(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                Dns1123LabelFormat, "my-name", "123-abc");
        }
    }

    public static IEnumerable<string> Dns1035Label(string value)
    {
        if (value.Length > 63)
        {
            yield return MaxLength(63);
        }

        if (!Dns1035Regex().IsMatch(value))
        {
            yield return RegexMessage(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                Dns1035LabelFormat, "my-name", "abc-123");
        }
    }

    /// <summary>Label keys, annotation keys and finalizers: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.</summary>
    public static IEnumerable<string> QualifiedName(string value)
    {
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    yield return "prefix part must be non-empty";
                }
                else
                {
                    foreach (var m in Dns1123Subdomain(parts[0]))
                    {
                        yield return "prefix part " + m;
                    }
                }

                break;
            default:
                yield return "a qualified name " + RegexMessage(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc") +
                    " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
                yield break;
        }

        if (name.Length == 0)
        {
            yield return "name part must be non-empty";
        }
        else if (name.Length > 63)
        {
            yield return "name part " + MaxLength(63);
        }

        if (!QualifiedNameRegex().IsMatch(name))
        {
            yield return "name part " + RegexMessage(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc");
        }
    }

    public static IEnumerable<string> LabelValue(string value)
    {
        if (value.Length > 63)
        {
            yield return MaxLength(63);
        }

        if (!LabelValueRegex().IsMatch(value))
        {
            yield return RegexMessage(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                LabelValueFormat, "MyValue", "my_value", "12345");
        }
    }

    private static string MaxLength(int max) => $"must be no more than {max} characters";

    /// <summary>apimachinery's RegexError: the message, examples, and the regex used.</summary>
    private static string RegexMessage(string message, string format, params string[] examples)
    {
        var b = new StringBuilder(message).Append(" (e.g. ");
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0)
            {
                b.Append(" or ");
            }

            b.Append('\'').Append(examples[i]).Append("', ");
        }

        return b.Append("regex used for validation is '").Append(format).Append("')").ToString();
    }

    [GeneratedRegex("^" + Dns1123SubdomainFormat + "\\z")]
    private static partial Regex SubdomainRegex();

    [GeneratedRegex("^" + Dns1123LabelFormat + "\\z")]
    private static partial Regex LabelRegex();

    [GeneratedRegex("^" + Dns1035LabelFormat + "\\z")]
    private static partial Regex Dns1035Regex();

    [GeneratedRegex("^" + QualifiedNameFormat + "\\z")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFormat + "\\z")]
    private static partial Regex LabelValueRegex();
}
