using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Protobuf;

/// <summary>
/// Decodes request bodies sent as <c>application/vnd.kubernetes.protobuf</c> (kubectl 1.32's typed clients send them)
/// into the JSON object the rest of the server works on.
/// </summary>
/// <remarks>
/// The body is the magic <c>k8s\0</c> and a runtime.Unknown {1: TypeMeta {1: apiVersion, 2: kind}, 2: raw,
/// 3: contentEncoding, 4: contentType}; raw is the object in generated.proto encoding, decoded through
/// <see cref="ProtoSchema.Kubernetes"/>.
/// </remarks>
internal static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <exception cref="ApiException">400 for bytes that are not a Kubernetes protobuf envelope or object;
    /// 415 for a kind this server has no descriptor for.</exception>
    public static JsonObject Decode(ReadOnlySpan<byte> body) => Decode(body, ProtoSchema.Kubernetes);

    public static JsonObject Decode(ReadOnlySpan<byte> body, ProtoSchema schema)
    {
        if (!body.StartsWith(Magic))
        {
            throw ApiException.BadRequest("the protobuf body does not start with the Kubernetes magic prefix \"k8s\\x00\"");
        }

        Envelope envelope;
        try
        {
            envelope = ReadEnvelope(body[Magic.Length..]);
        }
        catch (ProtobufFormatException e)
        {
            throw ApiException.BadRequest($"the protobuf envelope (runtime.Unknown) could not be decoded: {e.Message}");
        }

        if (envelope.Kind.Length == 0)
        {
            throw ApiException.BadRequest("the protobuf envelope names no kind in its TypeMeta");
        }

        if (envelope.ContentEncoding.Length > 0)
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the protobuf body of kind {envelope.Kind} uses content encoding \"{envelope.ContentEncoding}\", which this server does not read");
        }

        if (envelope.ContentType.Length > 0 && envelope.ContentType != ContentType)
        {
            return RawOfOtherType(envelope);
        }

        var message = schema.ForKind(envelope.ApiVersion, envelope.Kind)
            ?? throw new ApiException(415, "UnsupportedMediaType",
                $"this server cannot decode kind {envelope.Kind} (apiVersion {DisplayVersion(envelope.ApiVersion)}) from protobuf; "
                + "send it as JSON or YAML instead, e.g. `kubectl create ... --dry-run=client -o yaml | kubectl apply -f -`");

        var result = new JsonObject { ["apiVersion"] = envelope.ApiVersion, ["kind"] = envelope.Kind };
        try
        {
            MessageDecoder.DecodeInto(result, envelope.Raw.Span, message, envelope.Kind);
        }
        catch (ProtobufFormatException e)
        {
            throw ApiException.BadRequest($"the protobuf body of kind {envelope.Kind} could not be decoded: {e.Message}");
        }

        return result;
    }

    private static string DisplayVersion(string apiVersion) => apiVersion.Length == 0 ? "unset" : apiVersion;

    /// <summary>An envelope may carry its object in another encoding, which it then names; JSON is the one worth reading.</summary>
    private static JsonObject RawOfOtherType(Envelope envelope)
    {
        if (envelope.ContentType != "application/json")
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the protobuf envelope of kind {envelope.Kind} holds a {envelope.ContentType} object, which this server does not read");
        }

        try
        {
            return JsonNode.Parse(envelope.Raw.Span) as JsonObject
                ?? throw ApiException.BadRequest($"the JSON inside the protobuf envelope of kind {envelope.Kind} is not an object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the JSON inside the protobuf envelope of kind {envelope.Kind} is malformed: {e.Message}");
        }
    }

    private static Envelope ReadEnvelope(ReadOnlySpan<byte> bytes)
    {
        var envelope = new Envelope();
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number is < 1 or > 4)
            {
                reader.Skip(wire);
                continue;
            }

            if (wire != WireType.LengthDelimited)
            {
                throw new ProtobufFormatException($"field {number} has wire type {(int)wire}, expected 2");
            }

            var value = reader.ReadLengthDelimited();
            switch (number)
            {
                case 1:
                    ReadTypeMeta(value, envelope);
                    break;
                case 2:
                    envelope.Raw = value.ToArray();
                    break;
                case 3:
                    envelope.ContentEncoding = Text(value, "contentEncoding");
                    break;
                default:
                    envelope.ContentType = Text(value, "contentType");
                    break;
            }
        }

        return envelope;
    }

    private static void ReadTypeMeta(ReadOnlySpan<byte> bytes, Envelope envelope)
    {
        var reader = new WireReader(bytes);
        while (!reader.AtEnd)
        {
            var (number, wire) = reader.ReadTag();
            if (number is 1 or 2 && wire == WireType.LengthDelimited)
            {
                var text = Text(reader.ReadLengthDelimited(), number == 1 ? "typeMeta.apiVersion" : "typeMeta.kind");
                if (number == 1)
                {
                    envelope.ApiVersion = text;
                }
                else
                {
                    envelope.Kind = text;
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }
    }

    private static string Text(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new ProtobufFormatException($"{what} is not valid UTF-8");
        }
    }

    private sealed class Envelope
    {
        public string ApiVersion { get; set; } = "";
        public string Kind { get; set; } = "";
        public ReadOnlyMemory<byte> Raw { get; set; }
        public string ContentEncoding { get; set; } = "";
        public string ContentType { get; set; } = "";
    }
}
