namespace Runai.Sim.Api.Protobuf;

internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>Bytes that are not valid protobuf; the message says where and why.</summary>
internal sealed class ProtobufFormatException(string message) : Exception(message);

/// <summary>
/// Reads the protobuf wire format (varints, length-delimited runs, fixed 32/64-bit words) from a span.
/// Only what Kubernetes' proto2 messages use: no groups, no zigzag.
/// </summary>
internal ref struct WireReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; private set; }

    public readonly bool AtEnd => Position >= _data.Length;

    public (int Field, WireType Type) ReadTag()
    {
        var at = Position;
        var tag = ReadVarint();
        var field = tag >> 3;
        var type = (WireType)(tag & 7);
        if (field is 0 or > 0x1FFF_FFFF)
        {
            throw new ProtobufFormatException($"invalid field number {field} at byte {at}");
        }

        if (type is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
        {
            throw new ProtobufFormatException($"field {field} at byte {at} has unsupported wire type {(int)type}");
        }

        return ((int)field, type);
    }

    public ulong ReadVarint()
    {
        var at = Position;
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (Position >= _data.Length)
            {
                throw new ProtobufFormatException($"truncated varint at byte {at}");
            }

            var b = _data[Position++];
            if (shift == 63 && b > 1)
            {
                throw new ProtobufFormatException($"varint at byte {at} overflows 64 bits");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new ProtobufFormatException($"varint at byte {at} is longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadLengthDelimited()
    {
        var at = Position;
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - Position))
        {
            throw new ProtobufFormatException($"length {length} at byte {at} runs past the end of the data ({_data.Length - Position} bytes left)");
        }

        var slice = _data.Slice(Position, (int)length);
        Position += (int)length;
        return slice;
    }

    public ReadOnlySpan<byte> ReadFixed(int size)
    {
        if (_data.Length - Position < size)
        {
            throw new ProtobufFormatException($"truncated {size * 8}-bit value at byte {Position}");
        }

        var slice = _data.Slice(Position, size);
        Position += size;
        return slice;
    }

    /// <summary>Steps over a value of a field the reader does not know.</summary>
    public void Skip(WireType type)
    {
        switch (type)
        {
            case WireType.Varint:
                ReadVarint();
                break;
            case WireType.Fixed64:
                ReadFixed(8);
                break;
            case WireType.LengthDelimited:
                ReadLengthDelimited();
                break;
            case WireType.Fixed32:
                ReadFixed(4);
                break;
            default:
                throw new ProtobufFormatException($"cannot skip wire type {(int)type} at byte {Position}");
        }
    }
}
