using System.Text;

namespace Runai.Sim.Tests.Protobuf.Support;

/// <summary>A test-side protobuf encoder: just enough wire format to build Kubernetes bodies field by field.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _out = new();

    /// <summary>The body kubectl would send: <c>k8s\0</c> and a runtime.Unknown holding the object.</summary>
    public static byte[] Envelope(string apiVersion, string kind, Action<ProtoWriter> body) =>
        [.. "k8s\0"u8, .. new ProtoWriter()
            .Message(1, t => t.String(1, apiVersion).String(2, kind))
            .Bytes(2, new ProtoWriter().With(body).ToArray())
            .String(3, "")
            .String(4, "")
            .ToArray()];

    public ProtoWriter With(Action<ProtoWriter> build)
    {
        build(this);
        return this;
    }

    public ProtoWriter Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

    public ProtoWriter Varint(int field, long value) => Tag(field, 0).RawVarint(unchecked((ulong)value));

    public ProtoWriter Bool(int field, bool value) => Varint(field, value ? 1 : 0);

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, byte[] value)
    {
        Tag(field, 2).RawVarint((ulong)value.Length);
        _out.Write(value);
        return this;
    }

    public ProtoWriter Message(int field, Action<ProtoWriter> build) => Bytes(field, new ProtoWriter().With(build).ToArray());

    public ProtoWriter MapEntry(int field, string key, string value) => Message(field, e => e.String(1, key).String(2, value));

    public ProtoWriter Fixed32(int field, uint value)
    {
        Tag(field, 5);
        _out.Write(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoWriter Fixed64(int field, ulong value)
    {
        Tag(field, 1);
        _out.Write(BitConverter.GetBytes(value));
        return this;
    }

    public ProtoWriter Raw(params byte[] bytes)
    {
        _out.Write(bytes);
        return this;
    }

    public ProtoWriter RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _out.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _out.WriteByte((byte)value);
        return this;
    }

    public byte[] ToArray() => _out.ToArray();
}
