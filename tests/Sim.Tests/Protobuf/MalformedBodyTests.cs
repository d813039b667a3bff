using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Protobuf;
using Runai.Sim.Tests.Protobuf.Support;

namespace Runai.Sim.Tests.Protobuf;

/// <summary>Bad bytes answer 400 naming the problem, unknown kinds 415 naming the kind; nothing else escapes.</summary>
public sealed class MalformedBodyTests
{
    private static ApiException Rejects(byte[] body) => Assert.Throws<ApiException>(() => KubeProtobuf.Decode(body));

    private static byte[] ConfigMap(Action<ProtoWriter> body) => ProtoWriter.Envelope("v1", "ConfigMap", body);

    [Fact]
    public void BodyWithoutTheMagicPrefixIsBadRequest()
    {
        var error = Rejects("{\"kind\":\"ConfigMap\"}"u8.ToArray());

        Assert.Equal(400, error.Code);
        Assert.Contains("magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TruncatedVarintIsBadRequestNamingTheKind()
    {
        var error = Rejects(ConfigMap(c => c.Tag(4, 0).Raw(0x80)));

        Assert.Equal(400, error.Code);
        Assert.Contains("kind ConfigMap", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated varint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LengthRunningPastTheEndIsBadRequest()
    {
        var error = Rejects(ConfigMap(c => c.Tag(1, 2).RawVarint(50).Raw(1, 2, 3)));

        Assert.Equal(400, error.Code);
        Assert.Contains("runs past the end", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongWireTypeForAKnownFieldNamesTheFieldPath()
    {
        var error = Rejects(ConfigMap(c => c.Message(1, m => m.Varint(11, 5))));

        Assert.Equal(400, error.Code);
        Assert.Contains("ConfigMap.metadata.labels (field 11) has wire type 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupWireTypesAreRejected()
    {
        var error = Rejects(ConfigMap(c => c.Tag(50, 3)));

        Assert.Equal(400, error.Code);
        Assert.Contains("unsupported wire type 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidUtf8InAStringNamesTheField()
    {
        var error = Rejects(ConfigMap(c => c.Message(1, m => m.Bytes(1, [0xC3, 0x28]))));

        Assert.Equal(400, error.Code);
        Assert.Contains("ConfigMap.metadata.name is not valid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRangeTimeIsBadRequest()
    {
        var error = Rejects(ConfigMap(c => c.Message(1, m => m.Message(8, t => t.Varint(1, long.MaxValue)))));

        Assert.Equal(400, error.Code);
        Assert.Contains("ConfigMap.metadata.creationTimestamp holds an out-of-range time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnvelopeWithoutAKindIsBadRequest()
    {
        var error = Rejects(ProtoWriter.Envelope("v1", "", c => c.Message(1, m => m.String(1, "x"))));

        Assert.Equal(400, error.Code);
        Assert.Contains("names no kind", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKindIsUnsupportedMediaTypeNamingTheKindAndTheWayAround()
    {
        var error = Rejects(ProtoWriter.Envelope("example.com/v1", "Widget", c => c.Message(1, m => m.String(1, "x"))));

        Assert.Equal(415, error.Code);
        Assert.Equal("UnsupportedMediaType", error.Reason);
        Assert.Contains("kind Widget (apiVersion example.com/v1)", error.Message, StringComparison.Ordinal);
        Assert.Contains("-o yaml | kubectl apply -f -", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ContentEncodingIsUnsupportedMediaType()
    {
        byte[] body = [.. "k8s\0"u8, .. new ProtoWriter()
            .Message(1, t => t.String(1, "v1").String(2, "ConfigMap"))
            .Bytes(2, [1, 2, 3])
            .String(3, "gzip")
            .ToArray()];

        var error = Rejects(body);

        Assert.Equal(415, error.Code);
        Assert.Contains("gzip", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonInsideTheEnvelopeIsReadAsJson()
    {
        byte[] body = [.. "k8s\0"u8, .. new ProtoWriter()
            .Message(1, t => t.String(1, "v1").String(2, "ConfigMap"))
            .String(2, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}""")
            .String(4, "application/json")
            .ToArray()];

        var decoded = KubeProtobuf.Decode(body);

        Assert.Equal("j", decoded["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public void NoTruncationOrBitFlipOfARealBodyEscapesAsAnythingButA400()
    {
        var body = ProtoWriter.Envelope("apps/v1", "Deployment", d => d
            .Message(1, m => m.String(1, "web").MapEntry(11, "app", "web"))
            .Message(2, s => s.Varint(1, 2)
                .Message(3, t => t.Message(2, p => p.Message(2, c => c.String(1, "main").String(2, "nginx")
                    .Message(6, port => port.Varint(3, 80)))))));
        var random = new Random(1234);
        var outcomes = new List<string>();

        for (var length = 0; length < body.Length; length++)
        {
            outcomes.Add(Outcome(body[..length]));
        }

        for (var i = 0; i < 2000; i++)
        {
            var mutated = (byte[])body.Clone();
            mutated[4 + random.Next(mutated.Length - 4)] ^= (byte)(1 << random.Next(8));
            outcomes.Add(Outcome(mutated));
        }

        Assert.All(outcomes, o => Assert.True(o is "ok" or "400" or "415", o));
        Assert.Contains("400", outcomes);
    }

    private static string Outcome(byte[] body)
    {
        try
        {
            return KubeProtobuf.Decode(body) is JsonObject ? "ok" : "not an object";
        }
        catch (ApiException e)
        {
            return e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }
}
