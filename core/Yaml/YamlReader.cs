using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Runai.Core.Yaml;

/// <summary>Turns the YamlDotNet event stream into JSON nodes, one per document.</summary>
internal sealed partial class YamlReader
{
    private const string MergeKey = "<<";

    private readonly IParser _parser;
    private readonly string? _sourceName;
    private readonly Dictionary<string, JsonNode?> _anchors = new(StringComparer.Ordinal);

    // Where the last event read ended: the best location when the parser fails without saying where.
    private Mark _lastMark = Mark.Empty;

    private YamlReader(IParser parser, string? sourceName)
    {
        _parser = parser;
        _sourceName = sourceName;
    }

    public static IReadOnlyList<YamlDocument> ReadDocuments(string yaml, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        using var text = new StringReader(yaml);
        var reader = new YamlReader(new Parser(text), sourceName);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            throw new KubeYamlException(sourceName, e.Start.Line, e.Start.Column, Problem(e), e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException
                                  && e.TargetSite?.DeclaringType?.Assembly == typeof(Parser).Assembly)
        {
            // Some malformed input (e.g. an unclosed flow sequence) makes YamlDotNet fail without a location.
            var mark = reader._lastMark;
            throw new KubeYamlException(sourceName, Math.Max(mark.Line, 1), Math.Max(mark.Column, 1),
                "malformed YAML after this point; look for an unclosed [ or { or a stray quote", e);
        }
    }

    private List<YamlDocument> ReadStream()
    {
        var documents = new List<YamlDocument>();
        _parser.Consume<StreamStart>();
        while (_parser.TryConsume<DocumentStart>(out var start))
        {
            _anchors.Clear(); // anchors do not reach across documents
            var node = ReadNode();
            _parser.Consume<DocumentEnd>();
            // Re-parse so every value is backed the way JsonNode.Parse backs it, whatever built it here.
            var normalized = node is null ? null : JsonNode.Parse(node.ToJsonString());
            documents.Add(new YamlDocument(documents.Count, normalized, start.Start.Line, start.Start.Column));
        }
        _parser.Consume<StreamEnd>();
        return documents;
    }

    private JsonNode? ReadNode()
    {
        var current = _parser.Current ?? throw new InvalidOperationException("The YAML parser ended unexpectedly.");
        _lastMark = current.End;
        switch (current)
        {
            case AnchorAlias alias:
                _parser.MoveNext();
                if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw Error(alias.Start, $"alias *{alias.Value.Value} refers to no anchor defined before it");
                }
                return target?.DeepClone();
            case Scalar scalar:
                _parser.MoveNext();
                return Remember(scalar.Anchor, ReadScalar(scalar));
            case SequenceStart sequenceStart:
                _parser.MoveNext();
                return Remember(sequenceStart.Anchor, ReadSequence(sequenceStart));
            case MappingStart mappingStart:
                _parser.MoveNext();
                return Remember(mappingStart.Anchor, ReadMapping(mappingStart));
            default:
                throw Error(current.Start, $"unexpected {current.GetType().Name}");
        }
    }

    private JsonNode? Remember(AnchorName anchor, JsonNode? node)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = node?.DeepClone();
        }
        return node;
    }

    private JsonNode? ReadScalar(Scalar scalar)
    {
        string? error;
        JsonNode? value;
        if (!scalar.Tag.IsEmpty)
        {
            value = YamlScalars.ResolveTagged(scalar.Tag.Value, scalar.Value, out error);
        }
        else if (scalar.Style is ScalarStyle.Plain)
        {
            value = YamlScalars.ResolvePlain(scalar.Value, out error);
        }
        else
        {
            return JsonValue.Create(scalar.Value); // quoted or block scalars are always strings
        }
        return error is null ? value : throw Error(scalar.Start, error);
    }

    private JsonArray ReadSequence(SequenceStart start)
    {
        var array = new JsonArray();
        while (!_parser.TryConsume<SequenceEnd>(out _))
        {
            array.Add(ReadNode());
        }
        return array;
    }

    private JsonObject ReadMapping(MappingStart start)
    {
        var mapping = new JsonObject();
        var merged = new List<JsonObject>();
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyEvent = _parser.Current!;
            if (keyEvent is not Scalar keyScalar)
            {
                throw Error(keyEvent.Start, "mapping keys must be scalars; complex keys have no JSON form");
            }
            _lastMark = keyScalar.End;
            _parser.MoveNext();
            if (keyScalar.Style is ScalarStyle.Plain && keyScalar.Tag.IsEmpty && keyScalar.Value == MergeKey)
            {
                merged.AddRange(ReadMergeSources(keyScalar));
                continue;
            }
            var key = keyScalar.Value;
            if (mapping.ContainsKey(key))
            {
                throw Error(keyScalar.Start, $"duplicate key '{key}'");
            }
            mapping[key] = ReadNode();
        }
        // Keys written in the mapping win over merged ones; earlier merge sources win over later ones.
        foreach (var source in merged)
        {
            foreach (var (key, value) in source)
            {
                if (!mapping.ContainsKey(key))
                {
                    mapping[key] = value?.DeepClone();
                }
            }
        }
        return mapping;
    }

    private IEnumerable<JsonObject> ReadMergeSources(Scalar mergeKey)
    {
        var value = ReadNode();
        var sources = value switch
        {
            JsonObject single => [single],
            JsonArray list when list.All(item => item is JsonObject) => list.Cast<JsonObject>().ToList(),
            _ => throw Error(mergeKey.Start, "a merge key (<<) needs a mapping or a list of mappings"),
        };
        return sources;
    }

    private KubeYamlException Error(Mark mark, string problem) =>
        new(_sourceName, mark.Line, mark.Column, problem);

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();

    /// <summary>YamlDotNet prefixes its messages with marks we report separately.</summary>
    private static string Problem(YamlException e)
    {
        var message = LocationPrefix().Replace(e.Message, "");
        return message.Length == 0 ? "malformed YAML" : char.ToLowerInvariant(message[0]) + message[1..].TrimEnd('.');
    }
}
