using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>
/// The part of kubectl's JSONPath that CRD printer columns use: <c>.a.b</c>, <c>.a['x.y']</c>, <c>.a[0]</c>,
/// <c>.a[-1]</c>, slices such as <c>.a[-1:]</c>, <c>[*]</c> and filters such as <c>.a[?(@.type=="Ready")].status</c>.
/// An optional <c>{…}</c> wrapper and leading <c>$</c> are accepted, as the real server accepts them.
/// </summary>
internal sealed class PrinterJsonPath
{
    private static readonly ConcurrentDictionary<string, PrinterJsonPath> Cache = new();
    private readonly IReadOnlyList<Step> steps;

    private PrinterJsonPath(string text, IReadOnlyList<Step> steps)
    {
        Text = text;
        this.steps = steps;
    }

    public string Text { get; }

    /// <summary>Parses a path; throws <see cref="FormatException"/> naming the problem when it is outside the subset.</summary>
    public static PrinterJsonPath Parse(string path) => Cache.GetOrAdd(path, p => new PrinterJsonPath(p, new Parser(p).ParseAll()));

    /// <summary>Every value the path selects, in document order; JSON null values are included as null.</summary>
    public IReadOnlyList<JsonNode?> Evaluate(JsonNode? root)
    {
        List<JsonNode?> current = [root];
        foreach (var step in steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current)
            {
                step.Apply(node, next);
            }

            current = next;
        }

        return current;
    }

    private abstract record Step
    {
        public abstract void Apply(JsonNode? node, List<JsonNode?> into);
    }

    private sealed record FieldStep(string Name) : Step
    {
        public override void Apply(JsonNode? node, List<JsonNode?> into)
        {
            if (node is JsonObject o && o.TryGetPropertyValue(Name, out var v))
            {
                into.Add(v);
            }
        }
    }

    private sealed record WildcardStep : Step
    {
        public override void Apply(JsonNode? node, List<JsonNode?> into)
        {
            switch (node)
            {
                case JsonArray a:
                    into.AddRange(a);
                    break;
                case JsonObject o:
                    into.AddRange(o.Select(p => p.Value));
                    break;
            }
        }
    }

    private sealed record IndexStep(int Index) : Step
    {
        public override void Apply(JsonNode? node, List<JsonNode?> into)
        {
            if (node is JsonArray a)
            {
                var i = Index < 0 ? a.Count + Index : Index;
                if (i >= 0 && i < a.Count)
                {
                    into.Add(a[i]);
                }
            }
        }
    }

    private sealed record SliceStep(int? Start, int? End) : Step
    {
        public override void Apply(JsonNode? node, List<JsonNode?> into)
        {
            if (node is not JsonArray a)
            {
                return;
            }

            var start = Clamp(Start ?? 0, a.Count);
            var end = Clamp(End ?? a.Count, a.Count);
            for (var i = start; i < end; i++)
            {
                into.Add(a[i]);
            }
        }

        private static int Clamp(int i, int count) => Math.Clamp(i < 0 ? count + i : i, 0, count);
    }

    private sealed record FilterStep(IReadOnlyList<string> Path, string? Op, JsonNode? Literal) : Step
    {
        public override void Apply(JsonNode? node, List<JsonNode?> into)
        {
            IEnumerable<JsonNode?> candidates = node switch
            {
                JsonArray a => a,
                JsonObject o => o.Select(p => p.Value),
                _ => [],
            };
            foreach (var item in candidates)
            {
                if (Matches(item))
                {
                    into.Add(item);
                }
            }
        }

        private bool Matches(JsonNode? item)
        {
            var value = item;
            foreach (var name in Path)
            {
                if (value is not JsonObject o || !o.TryGetPropertyValue(name, out value))
                {
                    return false;
                }
            }

            if (Op is null)
            {
                return value is not null;
            }

            var equal = Compare(value, Literal);
            return Op == "==" ? equal == 0 : Op == "!=" ? equal != 0
                : equal is { } c && Op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, ">=" => c >= 0, _ => false };
        }

        private static int? Compare(JsonNode? a, JsonNode? b)
        {
            if (a is JsonValue va && b is JsonValue vb)
            {
                if (va.TryGetDouble(out var da) && vb.TryGetDouble(out var db))
                {
                    return da.CompareTo(db);
                }

                if (va.GetValueKind() == vb.GetValueKind())
                {
                    return string.CompareOrdinal(va.ToJsonString(), vb.ToJsonString());
                }
            }

            return a is null && b is null ? 0 : null;
        }
    }

    private sealed class Parser(string text)
    {
        private int pos;

        public List<Step> ParseAll()
        {
            var s = text.Trim();
            if (s.StartsWith('{') && s.EndsWith('}'))
            {
                s = s[1..^1].Trim();
            }

            if (s.StartsWith('$'))
            {
                s = s[1..];
            }

            var inner = new Parser(s);
            return inner.ParseSteps(text);
        }

        private List<Step> ParseSteps(string original)
        {
            var steps = new List<Step>();
            if (text.Length == 0)
            {
                throw Error(original, "it is empty");
            }

            while (pos < text.Length)
            {
                var c = text[pos];
                if (c == '.')
                {
                    pos++;
                    if (pos < text.Length && text[pos] == '*')
                    {
                        pos++;
                        steps.Add(new WildcardStep());
                        continue;
                    }

                    var name = ReadName();
                    if (name.Length == 0)
                    {
                        if (pos == text.Length && steps.Count == 0)
                        {
                            break; // "." alone selects the object itself
                        }

                        throw Error(original, $"a field name is missing at offset {pos}");
                    }

                    steps.Add(new FieldStep(name));
                }
                else if (c == '[')
                {
                    steps.Add(ReadBracket(original));
                }
                else
                {
                    throw Error(original, $"unexpected '{c}' at offset {pos}");
                }
            }

            return steps;
        }

        private string ReadName()
        {
            var start = pos;
            while (pos < text.Length && text[pos] is not ('.' or '[' or ']' or ' ' or '=' or '!' or '<' or '>' or ')'))
            {
                pos++;
            }

            return text[start..pos];
        }

        private Step ReadBracket(string original)
        {
            var close = FindClose(original);
            var body = text[(pos + 1)..close].Trim();
            pos = close + 1;
            if (body == "*")
            {
                return new WildcardStep();
            }

            if (body.Length >= 2 && body[0] is '\'' or '"' && body[^1] == body[0])
            {
                return new FieldStep(body[1..^1]);
            }

            if (body.StartsWith("?(", StringComparison.Ordinal) && body.EndsWith(')'))
            {
                return ParseFilter(original, body[2..^1].Trim());
            }

            if (body.Contains(':', StringComparison.Ordinal))
            {
                var parts = body.Split(':');
                if (parts.Length > 3)
                {
                    throw Error(original, $"slice '[{body}]' has too many parts");
                }

                return new SliceStep(OptionalInt(original, parts[0]), OptionalInt(original, parts[1]));
            }

            if (int.TryParse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
            {
                return new IndexStep(index);
            }

            throw Error(original, $"'[{body}]' is neither an index, a slice, a quoted name nor a filter");
        }

        private int FindClose(string original)
        {
            var depth = 0;
            char? quote = null;
            for (var i = pos; i < text.Length; i++)
            {
                var c = text[i];
                if (quote is { } q)
                {
                    if (c == q)
                    {
                        quote = null;
                    }
                }
                else if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '[')
                {
                    depth++;
                }
                else if (c == ']' && --depth == 0)
                {
                    return i;
                }
            }

            throw Error(original, $"the '[' at offset {pos} is not closed");
        }

        private static int? OptionalInt(string original, string s)
        {
            s = s.Trim();
            if (s.Length == 0)
            {
                return null;
            }

            return int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)
                ? i
                : throw Error(original, $"slice bound '{s}' is not an integer");
        }

        private static FilterStep ParseFilter(string original, string expr)
        {
            if (!expr.StartsWith('@'))
            {
                throw Error(original, $"filter '{expr}' must start with '@'");
            }

            string[] ops = ["==", "!=", "<=", ">=", "<", ">"];
            string? op = null;
            var opAt = -1;
            foreach (var candidate in ops)
            {
                var i = IndexOutsideQuotes(expr, candidate);
                if (i >= 0 && (opAt < 0 || i < opAt))
                {
                    op = candidate;
                    opAt = i;
                }
            }

            var left = (opAt < 0 ? expr : expr[..opAt]).Trim()[1..];
            var path = new List<string>();
            foreach (var step in new Parser(left).ParseSteps(original))
            {
                path.Add(step is FieldStep f ? f.Name : throw Error(original, $"filter '{expr}' may only name fields"));
            }

            JsonNode? literal = null;
            if (op is not null)
            {
                literal = ParseLiteral(original, expr[(opAt + op.Length)..].Trim());
            }

            return new FilterStep(path, op, literal);
        }

        private static int IndexOutsideQuotes(string s, string token)
        {
            char? quote = null;
            for (var i = 0; i < s.Length; i++)
            {
                if (quote is { } q)
                {
                    if (s[i] == q)
                    {
                        quote = null;
                    }
                }
                else if (s[i] is '\'' or '"')
                {
                    quote = s[i];
                }
                else if (string.CompareOrdinal(s, i, token, 0, token.Length) == 0)
                {
                    return i;
                }
            }

            return -1;
        }

        private static JsonNode? ParseLiteral(string original, string s)
        {
            if (s.Length >= 2 && s[0] is '\'' or '"' && s[^1] == s[0])
            {
                return JsonValue.Create(s[1..^1]);
            }

            try
            {
                return JsonNode.Parse(s);
            }
            catch (JsonException)
            {
                throw Error(original, $"'{s}' is not a literal (quote strings)");
            }
        }

        private static FormatException Error(string path, string problem) =>
            new(new StringBuilder().Append("JSONPath '").Append(path).Append("' is not supported: ").Append(problem).ToString());
    }
}
