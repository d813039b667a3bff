using System.Collections.Frozen;
using System.Globalization;

namespace Runai.Sim.Api.Protobuf;

/// <summary>What a field holds on the wire and how it reads as JSON.</summary>
internal enum ProtoType
{
    String,
    Int32,
    Int64,
    Bool,
    /// <summary>Raw bytes; base64 in JSON.</summary>
    Bytes,
    /// <summary>A nested message, decoded by its own descriptor.</summary>
    Message,
    /// <summary>meta/v1 Time {seconds, nanos}; RFC 3339 to the second in JSON.</summary>
    Time,
    /// <summary>meta/v1 MicroTime {seconds, nanos}; RFC 3339 with microseconds.</summary>
    MicroTime,
    /// <summary>meta/v1 Duration {duration in ns}; Go's duration text ("1h2m3s").</summary>
    Duration,
    /// <summary>resource.Quantity {string}; the string.</summary>
    Quantity,
    /// <summary>intstr.IntOrString {type, intVal, strVal}; a number or a string.</summary>
    IntOrString,
    /// <summary>RawExtension / FieldsV1 {raw}; the raw bytes are JSON and are inlined as such.</summary>
    RawJson,
    /// <summary>ExtraValue {items}; a plain array of strings.</summary>
    StringList,
}

internal enum FieldShape
{
    Single,
    Repeated,
    /// <summary>map&lt;string, T&gt;: repeated entry messages {1: key, 2: value}.</summary>
    Map,
}

/// <param name="JsonName">The JSON property; null for an inline (Go-embedded) message whose fields join the parent.</param>
/// <param name="KeepZero">A zero value is written out (the Go field is a pointer, or its JSON has no omitempty).</param>
internal sealed record ProtoField(int Number, string? JsonName, FieldShape Shape, ProtoType Type, string? MessageName, bool KeepZero)
{
    public bool Inline => JsonName is null;

    public ProtoMessage Message { get; set; } = null!;
}

internal sealed class ProtoMessage(string name, IReadOnlyList<ProtoField> fields)
{
    private readonly FrozenDictionary<int, ProtoField> _byNumber = fields.ToFrozenDictionary(f => f.Number);

    public string Name { get; } = name;

    public IReadOnlyList<ProtoField> Fields { get; } = fields;

    public ProtoField? Field(int number) => _byNumber.GetValueOrDefault(number);
}

/// <summary>
/// The message descriptors the decoder works from, read from a small text table (see <see cref="KubeSchemaTable"/>):
/// <c>kind &lt;apiVersion|*&gt; &lt;Kind&gt; = &lt;message&gt;</c> lines name the top-level kinds, and
/// <c>message &lt;name&gt;</c> blocks list <c>&lt;number&gt; &lt;jsonName|inline&gt; &lt;type&gt;[?|!]</c>.
/// </summary>
internal sealed class ProtoSchema
{
    private static readonly FrozenDictionary<string, ProtoType> Builtins = new Dictionary<string, ProtoType>
    {
        ["string"] = ProtoType.String,
        ["int32"] = ProtoType.Int32,
        ["int64"] = ProtoType.Int64,
        ["bool"] = ProtoType.Bool,
        ["bytes"] = ProtoType.Bytes,
        ["time"] = ProtoType.Time,
        ["microtime"] = ProtoType.MicroTime,
        ["duration"] = ProtoType.Duration,
        ["quantity"] = ProtoType.Quantity,
        ["intorstring"] = ProtoType.IntOrString,
        ["rawjson"] = ProtoType.RawJson,
        ["stringlist"] = ProtoType.StringList,
    }.ToFrozenDictionary();

    private readonly Dictionary<string, ProtoMessage> _messages;
    private readonly Dictionary<(string ApiVersion, string Kind), ProtoMessage> _kinds;

    private ProtoSchema(Dictionary<string, ProtoMessage> messages, Dictionary<(string, string), ProtoMessage> kinds)
    {
        _messages = messages;
        _kinds = kinds;
    }

    /// <summary>The Kubernetes kinds this server decodes, extracted from kubectl 1.32.</summary>
    public static ProtoSchema Kubernetes { get; } = Parse(KubeSchemaTable.Text);

    public IEnumerable<(string ApiVersion, string Kind)> Kinds => _kinds.Keys;

    public ProtoMessage? Message(string name) => _messages.GetValueOrDefault(name);

    /// <summary>The message for a top-level kind; a <c>*</c> apiVersion in the table matches any group version.</summary>
    public ProtoMessage? ForKind(string apiVersion, string kind) =>
        _kinds.GetValueOrDefault((apiVersion, kind)) ?? _kinds.GetValueOrDefault(("*", kind));

    public static ProtoSchema Parse(string text)
    {
        var messages = new Dictionary<string, ProtoMessage>(StringComparer.Ordinal);
        var kindLines = new List<(string ApiVersion, string Kind, string Message, int Line)>();
        string? current = null;
        var fields = new List<ProtoField>();
        var lines = text.Split('\n');

        void Close()
        {
            if (current is not null && fields.Select(f => f.Number).Distinct().Count() != fields.Count)
            {
                throw new FormatException($"message {current} repeats a field number");
            }

            if (current is not null && !messages.TryAdd(current, new ProtoMessage(current, fields.ToArray())))
            {
                throw new FormatException($"message {current} is declared twice");
            }

            fields.Clear();
            current = null;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0 || parts[0].StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var lineNo = i + 1;
            switch (parts[0])
            {
                case "kind" when parts.Length == 5 && parts[3] == "=":
                    kindLines.Add((parts[1], parts[2], parts[4], lineNo));
                    break;
                case "message" when parts.Length == 2:
                    Close();
                    current = parts[1];
                    break;
                default:
                    if (current is null || parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
                    {
                        throw new FormatException($"line {lineNo}: expected \"<number> <name> <type>\" inside a message, got \"{lines[i].Trim()}\"");
                    }

                    fields.Add(ParseField(number, parts[1], parts[2], lineNo));
                    break;
            }
        }

        Close();
        foreach (var message in messages.Values)
        {
            foreach (var field in message.Fields.Where(f => f.MessageName is not null))
            {
                field.Message = messages.GetValueOrDefault(field.MessageName!)
                    ?? throw new FormatException($"message {message.Name} field {field.Number} refers to undeclared message {field.MessageName}");
            }
        }

        var kinds = new Dictionary<(string, string), ProtoMessage>();
        foreach (var (apiVersion, kind, name, line) in kindLines)
        {
            kinds[(apiVersion, kind)] = messages.GetValueOrDefault(name)
                ?? throw new FormatException($"line {line}: kind {kind} refers to undeclared message {name}");
        }

        return new ProtoSchema(messages, kinds);
    }

    private static ProtoField ParseField(int number, string name, string type, int line)
    {
        var keepZero = type.EndsWith('?') || type.EndsWith('!');
        if (keepZero)
        {
            type = type[..^1];
        }

        var shape = FieldShape.Single;
        if (type.StartsWith("[]", StringComparison.Ordinal))
        {
            shape = FieldShape.Repeated;
            type = type[2..];
        }
        else if (type.StartsWith("map<string,", StringComparison.Ordinal) && type.EndsWith('>'))
        {
            shape = FieldShape.Map;
            type = type["map<string,".Length..^1];
        }

        var jsonName = name == "inline" ? null : name;
        if (Builtins.TryGetValue(type, out var builtin))
        {
            if (jsonName is null)
            {
                throw new FormatException($"line {line}: only a message field can be inline");
            }

            return new ProtoField(number, jsonName, shape, builtin, null, keepZero);
        }

        if (!type.Contains('.', StringComparison.Ordinal))
        {
            throw new FormatException($"line {line}: unknown type {type}");
        }

        if (jsonName is null && shape != FieldShape.Single)
        {
            throw new FormatException($"line {line}: an inline field cannot be repeated or a map");
        }

        return new ProtoField(number, jsonName, shape, ProtoType.Message, type, keepZero);
    }
}
