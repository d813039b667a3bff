using System.Globalization;
using System.Text;

namespace Runai.NodeDaemon.Exposition;

/// <summary>
/// Writes Prometheus text exposition into a reusable byte buffer: numbers are formatted straight into it and label
/// values escaped on the way, so rendering the same page again allocates nothing once the buffer is big enough.
/// </summary>
internal sealed class ExpositionWriter(int initialCapacity = 16 * 1024)
{
    private byte[] buffer = new byte[initialCapacity];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, Length);

    public void Reset() => Length = 0;

    private Span<byte> Room(int size)
    {
        if (Length + size > buffer.Length)
        {
            // Grows rarely (more GPUs, longer labels) and keeps the larger buffer from then on.
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, Length + size));
        }
        return buffer.AsSpan(Length);
    }

    public ExpositionWriter Raw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Room(bytes.Length));
        Length += bytes.Length;
        return this;
    }

    public ExpositionWriter Byte(byte b)
    {
        Room(1)[0] = b;
        Length++;
        return this;
    }

    /// <summary>A label value, escaped as the format asks (backslash, double quote, line feed).</summary>
    public ExpositionWriter LabelValue(string value)
    {
        foreach (var rune in value.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '\\': Raw("\\\\"u8); break;
                case '"': Raw("\\\""u8); break;
                case '\n': Raw("\\n"u8); break;
                default:
                    var written = rune.EncodeToUtf8(Room(4));
                    Length += written;
                    break;
            }
        }
        return this;
    }

    /// <summary>A sample value: integers as integers, the rest in shortest round-trip form.</summary>
    public ExpositionWriter Value(double value)
    {
        if (double.IsNaN(value)) return Raw("NaN"u8);
        if (double.IsPositiveInfinity(value)) return Raw("+Inf"u8);
        if (double.IsNegativeInfinity(value)) return Raw("-Inf"u8);
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15) return Value((long)value);
        var ok = value.TryFormat(Room(32), out var written, "R", CultureInfo.InvariantCulture);
        if (!ok) throw new InvalidOperationException("a double did not fit 32 bytes");
        Length += written;
        return this;
    }

    public ExpositionWriter Value(long value)
    {
        value.TryFormat(Room(20), out var written, default, CultureInfo.InvariantCulture);
        Length += written;
        return this;
    }

    public ExpositionWriter Value(ulong value)
    {
        value.TryFormat(Room(20), out var written, default, CultureInfo.InvariantCulture);
        Length += written;
        return this;
    }

    public override string ToString() => Encoding.UTF8.GetString(Written);
}
