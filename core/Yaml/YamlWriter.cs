using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Runai.Core.Yaml;

/// <summary>Emits JSON nodes as block-style YAML that reads back to the same JSON.</summary>
internal static class YamlWriter
{
    public static string Write(IEnumerable<JsonNode?> documents)
    {
        using var text = new StringWriter();
        var emitter = new Emitter(text);
        emitter.Emit(new StreamStart());
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: false));
            WriteNode(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
        }
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    private static void WriteNode(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case null:
                Plain(emitter, "null");
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, obj.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in obj)
                {
                    WriteString(emitter, key);
                    WriteNode(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true, array.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in array)
                {
                    WriteNode(emitter, item);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value:
                WriteValue(emitter, value);
                break;
        }
    }

    private static void WriteValue(IEmitter emitter, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(emitter, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                Plain(emitter, "true");
                break;
            case JsonValueKind.False:
                Plain(emitter, "false");
                break;
            case JsonValueKind.Null:
                Plain(emitter, "null");
                break;
            default:
                Plain(emitter, value.ToJsonString()); // numbers keep their JSON text
                break;
        }
    }

    private static void WriteString(IEmitter emitter, string text)
    {
        ScalarStyle style;
        if (YamlScalars.NeedsQuotes(text))
        {
            style = ScalarStyle.DoubleQuoted;
        }
        else if (text.Contains('\n') && !text.EndsWith(' '))
        {
            style = ScalarStyle.Literal; // the emitter falls back to quotes where a block scalar cannot hold the text
        }
        else
        {
            style = ScalarStyle.Any;
        }
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, style, isPlainImplicit: style == ScalarStyle.Any, isQuotedImplicit: true));
    }

    private static void Plain(IEmitter emitter, string text) =>
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, isPlainImplicit: true, isQuotedImplicit: false));
}
