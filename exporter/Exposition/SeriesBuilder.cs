using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Runai.Exporter.Exposition;

/// <summary>
/// Everything one object contributes to the families of its <see cref="FamilyGroup"/>, in one array (the
/// kube-state-metrics design: a scrape only concatenates). A scrape walks family by family across every object, so it
/// touches each object once per family: one array per object, with its table of contents at the start, keeps that to
/// one or two cache misses where separate arrays per family cost four; at 10,000 workloads that halved the scrape.
/// Immutable once built, so a scrape can read it while events replace it.
/// <para>Layout: <c>int count</c>; <c>int start[families + 1]</c> (family <c>f</c>'s bytes are
/// <c>[start[f], start[f + 1])</c>); then the blocks. A fixed family's block is its lines, ready to send. A clock-driven
/// family's block is samples of <c>int prefixLength, prefix, double seconds, long sinceUtcTicks</c> (<see cref="NotGrowing"/>
/// when the value is fixed), whose value is formatted at scrape time.</para>
/// </summary>
internal sealed class ObjectSeries
{
    /// <summary><c>sinceUtcTicks</c> of a clock-driven sample whose value does not grow.</summary>
    public const long NotGrowing = long.MinValue;

    internal ObjectSeries(byte[] data) => Data = data;

    internal byte[] Data { get; }

    /// <summary>Series this object contributes.</summary>
    public int Count => CountOf(Data);

    internal static int CountOf(byte[] data) => BinaryPrimitives.ReadInt32LittleEndian(data);

    /// <summary>Family <paramref name="family"/>'s block of <paramref name="data"/>.</summary>
    internal static ReadOnlySpan<byte> Block(byte[] data, int family)
    {
        var table = data.AsSpan(sizeof(int) * (family + 1));
        var start = BinaryPrimitives.ReadInt32LittleEndian(table);
        var end = BinaryPrimitives.ReadInt32LittleEndian(table[sizeof(int)..]);
        return data.AsSpan(start, end - start);
    }

    /// <summary>Reads the clock-driven sample at the start of <paramref name="block"/> and moves past it.</summary>
    internal static ReadOnlySpan<byte> NextTimed(ref ReadOnlySpan<byte> block, DateTimeOffset now, out double value)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(block);
        var prefix = block.Slice(sizeof(int), length);
        var rest = block[(sizeof(int) + length)..];
        var seconds = BinaryPrimitives.ReadDoubleLittleEndian(rest);
        var since = BinaryPrimitives.ReadInt64LittleEndian(rest[sizeof(double)..]);
        value = since == NotGrowing ? seconds : seconds + Math.Max(0, (now.UtcTicks - since) / (double)TimeSpan.TicksPerSecond);
        block = rest[(sizeof(double) + sizeof(long))..];
        return prefix;
    }
}

/// <summary>Builds an <see cref="ObjectSeries"/>: add samples family by family, in any order.</summary>
internal sealed class SeriesBuilder
{
    private readonly FamilyGroup _group;
    private readonly StringBuilder?[] _text;
    private readonly List<(byte[] Prefix, double Seconds, long Since)>?[] _timed;
    private readonly StringBuilder _line = new();
    private int _count;

    public SeriesBuilder(FamilyGroup group)
    {
        _group = group;
        _text = new StringBuilder?[group.Families.Count];
        _timed = new List<(byte[], double, long)>?[group.Families.Count];
    }

    /// <summary>Adds <c>family{labels} value</c>; <paramref name="labels"/> are name/value pairs, values bounded and escaped here.</summary>
    public SeriesBuilder Add(MetricFamily family, double value, params ReadOnlySpan<(string Name, string? Value)> labels)
    {
        var index = _group.IndexOf(family);
        if (family.Timed) throw new InvalidOperationException($"{family.Name} grows with the clock; use AddTimed");
        var text = _text[index] ??= new StringBuilder();
        AppendPrefix(text, family, labels);
        AppendValue(text, value);
        text.Append('\n');
        _count++;
        return this;
    }

    /// <summary>Adds a clock-driven sample: <paramref name="seconds"/>, plus the time since <paramref name="since"/> when given.</summary>
    public SeriesBuilder AddTimed(MetricFamily family, double seconds, DateTimeOffset? since, params ReadOnlySpan<(string Name, string? Value)> labels)
    {
        var index = _group.IndexOf(family);
        if (!family.Timed) throw new InvalidOperationException($"{family.Name} does not grow with the clock; use Add");
        _line.Clear();
        AppendPrefix(_line, family, labels);
        (_timed[index] ??= []).Add((Encoding.UTF8.GetBytes(_line.ToString()), seconds, since?.UtcTicks ?? ObjectSeries.NotGrowing));
        _count++;
        return this;
    }

    public ObjectSeries Build()
    {
        var families = _text.Length;
        var blocks = new byte[families][];
        var header = sizeof(int) * (families + 2);
        var size = header;
        for (var f = 0; f < families; f++)
        {
            if (_timed[f] is { } samples)
            {
                var block = new byte[samples.Sum(s => sizeof(int) + s.Prefix.Length + sizeof(double) + sizeof(long))];
                var at = block.AsSpan();
                foreach (var (prefix, seconds, since) in samples)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(at, prefix.Length);
                    prefix.CopyTo(at[sizeof(int)..]);
                    at = at[(sizeof(int) + prefix.Length)..];
                    BinaryPrimitives.WriteDoubleLittleEndian(at, seconds);
                    BinaryPrimitives.WriteInt64LittleEndian(at[sizeof(double)..], since);
                    at = at[(sizeof(double) + sizeof(long))..];
                }

                blocks[f] = block;
            }
            else
            {
                blocks[f] = _text[f] is { } t ? Encoding.UTF8.GetBytes(t.ToString()) : [];
            }

            size += blocks[f].Length;
        }

        var data = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(data, _count);
        var offset = header;
        for (var f = 0; f < families; f++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(sizeof(int) * (f + 1)), offset);
            blocks[f].CopyTo(data.AsSpan(offset));
            offset += blocks[f].Length;
        }

        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(sizeof(int) * (families + 1)), offset);
        return new ObjectSeries(data);
    }

    /// <summary>The shortest text that reads back as the same double; Prometheus' spellings for the special values.</summary>
    public static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static void AppendPrefix(StringBuilder text, MetricFamily family, ReadOnlySpan<(string Name, string? Value)> labels)
    {
        text.Append(family.Name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(labels[i].Name).Append('=');
                LabelText.WriteQuoted(text, labels[i].Value);
            }

            text.Append('}');
        }

        text.Append(' ');
    }

    private static void AppendValue(StringBuilder text, double value) => text.Append(FormatValue(value));
}
