using System.Globalization;
using System.Text;

namespace Runai.Exporter.Exposition;

/// <summary>A value that grows with the clock: <see cref="Seconds"/> plus the time since <see cref="Since"/> (when set).</summary>
internal readonly record struct TimedSample(byte[] Prefix, double Seconds, DateTimeOffset? Since)
{
    public double ValueAt(DateTimeOffset now) =>
        Since is { } since ? Seconds + Math.Max(0, (now - since).TotalSeconds) : Seconds;
}

/// <summary>
/// What one object contributes to each family of a <see cref="FamilyGroup"/>: pre-rendered lines per family (the
/// kube-state-metrics design: a scrape only concatenates), and for clock-driven families a label prefix and a value
/// formatted at scrape time. Immutable once built, so a scrape can read it while events replace it.
/// </summary>
internal sealed class ObjectSeries
{
    internal ObjectSeries(byte[]?[] lines, TimedSample[]?[] timed, int count)
    {
        Lines = lines;
        Timed = timed;
        Count = count;
    }

    internal byte[]?[] Lines { get; }

    internal TimedSample[]?[] Timed { get; }

    /// <summary>Series this object contributes.</summary>
    public int Count { get; }
}

/// <summary>Builds an <see cref="ObjectSeries"/>: add samples family by family, in any order.</summary>
internal sealed class SeriesBuilder
{
    private readonly FamilyGroup _group;
    private readonly StringBuilder?[] _text;
    private readonly List<TimedSample>?[] _timed;
    private readonly StringBuilder _line = new();
    private int _count;

    public SeriesBuilder(FamilyGroup group)
    {
        _group = group;
        _text = new StringBuilder?[group.Families.Count];
        _timed = new List<TimedSample>?[group.Families.Count];
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
        (_timed[index] ??= []).Add(new TimedSample(Encoding.UTF8.GetBytes(_line.ToString()), seconds, since));
        _count++;
        return this;
    }

    public ObjectSeries Build()
    {
        var lines = new byte[]?[_text.Length];
        var timed = new TimedSample[]?[_text.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            if (_text[i] is { } t) lines[i] = Encoding.UTF8.GetBytes(t.ToString());
            if (_timed[i] is { } s) timed[i] = [.. s];
        }

        return new ObjectSeries(lines, timed, _count);
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
