using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Runai.Bench;

/// <summary>
/// Reads the one or two fields the driver needs (an event's type, an object's resourceVersion) without building a
/// document: a watch at 50,000 pods delivers hundreds of megabytes, and the driver must stay cheap next to the server.
/// </summary>
internal static class JsonPeek
{
    /// <summary>metadata.resourceVersion of an object; 0 when it has none.</summary>
    public static long ResourceVersion(ReadOnlySequence<byte> objectJson)
    {
        var r = new Utf8JsonReader(objectJson);
        return r.Read() ? ResourceVersionAt(ref r) : 0;
    }

    public static long ResourceVersion(byte[] objectJson) => ResourceVersion(new ReadOnlySequence<byte>(objectJson));

    /// <summary>The type and object.metadata.resourceVersion of one watch event line.</summary>
    public static (string Type, long ResourceVersion) WatchEvent(ReadOnlySequence<byte> line)
    {
        var r = new Utf8JsonReader(line);
        string? type = null;
        long rv = 0;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException("a watch event is not a JSON object");
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("type"u8))
            {
                r.Read();
                type = r.GetString();
            }
            else if (r.ValueTextEquals("object"u8))
            {
                r.Read();
                rv = ResourceVersionAt(ref r);
                break; // the server writes "type" first; nothing after the object is needed
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }

        return (type ?? throw new FormatException("a watch event has no type"), rv);
    }

    /// <summary>With the reader on an object's StartObject, finds metadata.resourceVersion.</summary>
    private static long ResourceVersionAt(ref Utf8JsonReader r) =>
        MoveToProperty(ref r, "metadata"u8) && MoveToProperty(ref r, "resourceVersion"u8) && r.TokenType == JsonTokenType.String
            ? long.Parse(r.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture)
            : 0;

    /// <summary>With the reader on a StartObject, moves it onto the value of the named property (false when absent).</summary>
    private static bool MoveToProperty(ref Utf8JsonReader r, ReadOnlySpan<byte> name)
    {
        if (r.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var found = r.ValueTextEquals(name);
            r.Read();
            if (found)
            {
                return true;
            }

            r.Skip();
        }

        return false;
    }
}
