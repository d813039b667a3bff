using System.Text.Json.Nodes;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Api;

/// <summary>
/// A label selector in the API's query syntax: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>,
/// <c>a notin (x)</c>, <c>a</c>, <c>!a</c>, comma-separated (all must hold).
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _terms = [];

    public static readonly LabelSelector Everything = new();

    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _terms.TrueForAll(t => t(labels));

    public static LabelSelector Parse(string? text)
    {
        var sel = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return sel;
        }

        foreach (var raw in SplitTopLevel(text))
        {
            var term = raw.Trim();
            if (term.Length == 0)
            {
                throw ApiException.BadRequest($"unable to parse requirement: empty term in label selector \"{text}\"");
            }

            var m = System.Text.RegularExpressions.Regex.Match(term, @"^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$");
            if (m.Success)
            {
                var key = ValidKey(m.Groups[1].Value, text);
                var values = m.Groups[3].Value.Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
                var isIn = m.Groups[2].Value == "in";
                sel._terms.Add(isIn
                    ? l => l.TryGetValue(key, out var v) && values.Contains(v)
                    : l => !l.TryGetValue(key, out var v) || !values.Contains(v));
                continue;
            }

            int idx;
            if ((idx = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                var key = ValidKey(term[..idx].Trim(), text);
                var value = term[(idx + 2)..].Trim();
                sel._terms.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if ((idx = term.IndexOf('=')) > 0)
            {
                var key = ValidKey(term[..idx].Trim(), text);
                var value = term[(idx + (term.AsSpan(idx).StartsWith("==") ? 2 : 1))..].Trim();
                sel._terms.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (term.StartsWith('!'))
            {
                var key = ValidKey(term[1..].Trim(), text);
                sel._terms.Add(l => !l.ContainsKey(key));
            }
            else
            {
                var key = ValidKey(term, text);
                sel._terms.Add(l => l.ContainsKey(key));
            }
        }

        return sel;
    }

    /// <summary>Builds a selector from a LabelSelector object (matchLabels + matchExpressions), as webhooks and owners use.</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        var sel = new LabelSelector();
        if (selector is null)
        {
            return sel;
        }

        if (selector["matchLabels"] is JsonObject ml)
        {
            foreach (var (k, v) in ml)
            {
                var value = v?.ToString() ?? "";
                sel._terms.Add(l => l.TryGetValue(k, out var x) && x == value);
            }
        }

        if (selector["matchExpressions"] is JsonArray exprs)
        {
            foreach (var e in exprs.OfType<JsonObject>())
            {
                var key = (string?)e["key"] ?? "";
                var values = (e["values"] as JsonArray)?.Select(v => v?.ToString() ?? "").ToHashSet(StringComparer.Ordinal) ?? [];
                switch ((string?)e["operator"])
                {
                    case "In": sel._terms.Add(l => l.TryGetValue(key, out var x) && values.Contains(x)); break;
                    case "NotIn": sel._terms.Add(l => !l.TryGetValue(key, out var x) || !values.Contains(x)); break;
                    case "Exists": sel._terms.Add(l => l.ContainsKey(key)); break;
                    case "DoesNotExist": sel._terms.Add(l => !l.ContainsKey(key)); break;
                    default: throw ApiException.BadRequest($"\"{(string?)e["operator"]}\" is not a valid label selector operator");
                }
            }
        }

        return sel;
    }

    private static string ValidKey(string key, string text)
    {
        if (key.Length == 0 || key.Length > 316 || !System.Text.RegularExpressions.Regex.IsMatch(key, @"^([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"))
        {
            throw ApiException.BadRequest($"unable to parse requirement: invalid label key \"{key}\" in selector \"{text}\"");
        }

        return key;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }
}

/// <summary>A field selector: <c>f=v</c>, <c>f==v</c>, <c>f!=v</c>, comma-separated.</summary>
internal sealed class FieldSelector
{
    private readonly List<(string Field, string Value, bool Equal)> _terms = [];

    public static readonly FieldSelector Everything = new();

    public bool IsEmpty => _terms.Count == 0;

    /// <summary>The exact name this selector pins (kubectl's <c>metadata.name=x</c> on watches), if any.</summary>
    public string? PinnedName => _terms.FirstOrDefault(t => t.Field == "metadata.name" && t.Equal).Value;

    public static FieldSelector Parse(string? text)
    {
        var sel = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return sel;
        }

        foreach (var raw in text.Split(','))
        {
            var term = raw.Trim();
            int idx;
            if ((idx = term.IndexOf("!=", StringComparison.Ordinal)) > 0)
            {
                sel._terms.Add((term[..idx], term[(idx + 2)..], false));
            }
            else if ((idx = term.IndexOf('=')) > 0)
            {
                var skip = term.AsSpan(idx).StartsWith("==") ? 2 : 1;
                sel._terms.Add((term[..idx], term[(idx + skip)..], true));
            }
            else
            {
                throw ApiException.BadRequest($"invalid field selector: \"{term}\" is not of the form field=value or field!=value");
            }
        }

        return sel;
    }

    public bool Matches(StoredObject o)
    {
        foreach (var (field, value, equal) in _terms)
        {
            var actual = o.Fields.TryGetValue(field, out var v) ? v : ReadPath(o, field);
            if ((actual == value) != equal)
            {
                return false;
            }
        }

        return true;
    }

    private static string ReadPath(StoredObject o, string field)
    {
        JsonNode? n = o.ToJsonObject();
        foreach (var p in field.Split('.'))
        {
            n = n is JsonObject obj ? obj[p] : null;
        }

        return n is JsonValue v ? v.ToString() : "";
    }
}
