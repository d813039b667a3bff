using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Protobuf;

/// <summary>
/// Turns one message in Kubernetes' generated.proto encoding into the JSON Kubernetes' own JSON encoding gives the
/// same Go object: zero values of omitempty fields left out, Time/Quantity/IntOrString in their string forms,
/// embedded structs flattened. Unknown field numbers are skipped, as newer clients may send fields this table lacks.
/// </summary>
internal static class MessageDecoder
{
    private const int MaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static JsonObject Decode(ReadOnlySpan<byte> bytes, ProtoMessage message, string path)
    {
        var result = new JsonObject();
        DecodeInto(result, bytes, message, path, 0);
        return result;
    }

    /// <summary>Adds the message's fields to <paramref name="target"/>; <paramref name="path"/> names it in errors.</summary>
    public static void DecodeInto(JsonObject target, ReadOnlySpan<byte> bytes, ProtoMessage message, string path) =>
        DecodeInto(target, bytes, message, path, 0);

    private static void DecodeInto(JsonObject target, ReadOnlySpan<byte> bytes, ProtoMessage message, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ProtobufFormatException($"{path}: messages nest deeper than {MaxDepth} levels");
        }

        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            var field = message.Field(number);
            if (field is null)
            {
                reader.Skip(wire);
                continue;
            }

            var fieldPath = field.Inline ? path : $"{path}.{field.JsonName}";
            if (field.Inline)
            {
                Expect(field, wire, WireType.LengthDelimited, fieldPath);
                DecodeInto(target, reader.ReadLengthDelimited(), field.Message, fieldPath, depth + 1);
                continue;
            }

            switch (field.Shape)
            {
                case FieldShape.Map:
                    Expect(field, wire, WireType.LengthDelimited, fieldPath);
                    var (key, value) = ReadMapEntry(reader.ReadLengthDelimited(), field, fieldPath, depth);
                    Child(target, field.JsonName!, () => new JsonObject())[key] = value;
                    break;
                case FieldShape.Repeated when wire == WireType.LengthDelimited && IsVarintType(field.Type):
                    // A packed run of numbers; proto2 Kubernetes does not pack, but a reader must accept both.
                    var packed = new WireReader(reader.ReadLengthDelimited());
                    var items = Child(target, field.JsonName!, () => new JsonArray());
                    while (!packed.AtEnd)
                    {
                        items.Add(VarintValue(field.Type, packed.ReadVarint()));
                    }

                    break;
                case FieldShape.Repeated:
                    Child(target, field.JsonName!, () => new JsonArray()).Add(ReadValue(ref reader, wire, field, fieldPath, depth));
                    break;
                default:
                    var single = ReadValue(ref reader, wire, field, fieldPath, depth);
                    if (single is null || (!field.KeepZero && IsZero(single)))
                    {
                        // Zero on the wire is how proto2 writes an unset non-pointer Go field; its JSON omits it.
                        target.Remove(field.JsonName!);
                    }
                    else
                    {
                        target[field.JsonName!] = single;
                    }

                    break;
            }
        }
    }

    private static T Child<T>(JsonObject target, string name, Func<T> create)
        where T : JsonNode
    {
        if (target[name] is T existing)
        {
            return existing;
        }

        var created = create();
        target[name] = created;
        return created;
    }

    private static (string Key, JsonNode? Value) ReadMapEntry(ReadOnlySpan<byte> entry, ProtoField field, string path, int depth)
    {
        var reader = new WireReader(entry);
        var key = "";
        JsonNode? value = null;
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            switch (number)
            {
                case 1:
                    if (wire != WireType.LengthDelimited)
                    {
                        throw new ProtobufFormatException($"{path}: map key has wire type {(int)wire}, expected 2 (string)");
                    }

                    key = ReadString(reader.ReadLengthDelimited(), path);
                    break;
                case 2:
                    value = ReadValue(ref reader, wire, field, $"{path}[{key}]", depth);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        // An absent value is the zero value, which JSON still shows for a map entry.
        return (key, value ?? ZeroValue(field));
    }

    private static JsonNode? ZeroValue(ProtoField field) => field.Type switch
    {
        ProtoType.String or ProtoType.Bytes => JsonValue.Create(""),
        ProtoType.Quantity => JsonValue.Create("0"),
        ProtoType.Int32 or ProtoType.Int64 => JsonValue.Create(0),
        ProtoType.Bool => JsonValue.Create(false),
        ProtoType.StringList => new JsonArray(),
        ProtoType.Message => new JsonObject(),
        _ => null,
    };

    private static JsonNode? ReadValue(ref WireReader reader, WireType wire, ProtoField field, string path, int depth)
    {
        if (IsVarintType(field.Type))
        {
            Expect(field, wire, WireType.Varint, path);
            return VarintValue(field.Type, reader.ReadVarint());
        }

        Expect(field, wire, WireType.LengthDelimited, path);
        var bytes = reader.ReadLengthDelimited();
        return field.Type switch
        {
            ProtoType.String => JsonValue.Create(ReadString(bytes, path)),
            ProtoType.Bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
            ProtoType.Message => DecodeNested(bytes, field.Message, path, depth),
            ProtoType.Time => ReadTime(bytes, path, micro: false),
            ProtoType.MicroTime => ReadTime(bytes, path, micro: true),
            ProtoType.Duration => ReadDuration(bytes),
            ProtoType.Quantity => ReadQuantity(bytes, path),
            ProtoType.IntOrString => ReadIntOrString(bytes, path),
            ProtoType.RawJson => ReadRawJson(bytes, path),
            ProtoType.StringList => ReadStringList(bytes, path),
            _ => throw new InvalidOperationException($"unhandled type {field.Type}"),
        };
    }

    private static JsonObject DecodeNested(ReadOnlySpan<byte> bytes, ProtoMessage message, string path, int depth)
    {
        var nested = new JsonObject();
        DecodeInto(nested, bytes, message, path, depth + 1);
        return nested;
    }

    private static bool IsVarintType(ProtoType type) => type is ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool;

    private static JsonNode VarintValue(ProtoType type, ulong raw) => type switch
    {
        // int32 negatives travel sign-extended to 64 bits; truncating restores them.
        ProtoType.Int32 => JsonValue.Create(unchecked((int)raw)),
        ProtoType.Int64 => JsonValue.Create(unchecked((long)raw)),
        _ => JsonValue.Create(raw != 0),
    };

    private static void Expect(ProtoField field, WireType actual, WireType expected, string path)
    {
        if (actual != expected)
        {
            throw new ProtobufFormatException(
                $"{path} (field {field.Number}) has wire type {(int)actual}, expected {(int)expected} for {field.Type.ToString().ToLowerInvariant()}");
        }
    }

    private static bool IsZero(JsonNode node) => node switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s.Length == 0,
        JsonValue v when v.TryGetValue(out bool b) => !b,
        JsonValue v when v.TryGetValue(out int i) => i == 0,
        JsonValue v when v.TryGetValue(out long l) => l == 0,
        _ => false,
    };

    private static string ReadString(ReadOnlySpan<byte> bytes, string path)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtobufFormatException($"{path} is not valid UTF-8");
        }
    }

    /// <summary>Reads the {1: seconds int64, 2: nanos int32} pair Time and MicroTime share; empty means the zero time.</summary>
    private static JsonNode? ReadTime(ReadOnlySpan<byte> bytes, string path, bool micro)
    {
        if (bytes.IsEmpty)
        {
            return null;
        }

        long seconds = 0;
        long nanos = 0;
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number is 1 or 2 && wire == WireType.Varint)
            {
                var value = reader.ReadVarint();
                if (number == 1)
                {
                    seconds = unchecked((long)value);
                }
                else
                {
                    nanos = unchecked((int)value);
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        if (seconds < -62135596800 || seconds > 253402300799 || nanos is < 0 or > 999_999_999)
        {
            throw new ProtobufFormatException($"{path} holds an out-of-range time ({seconds}s, {nanos}ns)");
        }

        var time = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        return micro
            ? JsonValue.Create(time.AddTicks(nanos / 1000 * 10).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture))
            : JsonValue.Create(time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }

    private static JsonNode ReadDuration(ReadOnlySpan<byte> bytes)
    {
        long nanos = 0;
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1 && wire == WireType.Varint)
            {
                nanos = unchecked((long)reader.ReadVarint());
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return JsonValue.Create(GoDuration.Format(nanos));
    }

    private static JsonNode ReadQuantity(ReadOnlySpan<byte> bytes, string path)
    {
        var text = "";
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1 && wire == WireType.LengthDelimited)
            {
                text = ReadString(reader.ReadLengthDelimited(), path);
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return JsonValue.Create(text);
    }

    /// <summary>{1: type (0 int, 1 string), 2: intVal, 3: strVal}.</summary>
    private static JsonNode ReadIntOrString(ReadOnlySpan<byte> bytes, string path)
    {
        ulong type = 0;
        var intVal = 0;
        var strVal = "";
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            switch (number)
            {
                case 1 when wire == WireType.Varint:
                    type = reader.ReadVarint();
                    break;
                case 2 when wire == WireType.Varint:
                    intVal = unchecked((int)reader.ReadVarint());
                    break;
                case 3 when wire == WireType.LengthDelimited:
                    strVal = ReadString(reader.ReadLengthDelimited(), path);
                    break;
                default:
                    reader.Skip(wire);
                    break;
            }
        }

        return type switch
        {
            0 => JsonValue.Create(intVal),
            1 => JsonValue.Create(strVal),
            _ => throw new ProtobufFormatException($"{path} is an IntOrString of unknown type {type}"),
        };
    }

    private static JsonNode? ReadRawJson(ReadOnlySpan<byte> bytes, string path)
    {
        ReadOnlySpan<byte> raw = default;
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1 && wire == WireType.LengthDelimited)
            {
                raw = reader.ReadLengthDelimited();
            }
            else
            {
                reader.Skip(wire);
            }
        }

        if (raw.IsEmpty)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(raw);
        }
        catch (JsonException e)
        {
            throw new ProtobufFormatException($"{path} should hold JSON but does not: {e.Message}");
        }
    }

    private static JsonArray ReadStringList(ReadOnlySpan<byte> bytes, string path)
    {
        var items = new JsonArray();
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number == 1 && wire == WireType.LengthDelimited)
            {
                items.Add(JsonValue.Create(ReadString(reader.ReadLengthDelimited(), path)));
            }
            else
            {
                reader.Skip(wire);
            }
        }

        return items;
    }
}
