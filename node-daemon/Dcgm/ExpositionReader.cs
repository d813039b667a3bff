using System.Globalization;
using System.Text;

namespace Runai.NodeDaemon.Dcgm;

/// <summary>Text that is not valid Prometheus exposition; the message names the line and the problem.</summary>
internal sealed class ExpositionFormatException(int line, string problem) : FormatException($"line {line}: {problem}")
{
    public int Line { get; } = line;
}

/// <summary>One sample line: its name, raw label block (validated), value and optional timestamp.</summary>
internal readonly ref struct ExpositionSample(ReadOnlySpan<byte> name, ReadOnlySpan<byte> labels, double value, long? timestamp, int line)
{
    public ReadOnlySpan<byte> Name { get; } = name;
    /// <summary>The text between the braces, already checked to be well formed.</summary>
    public ReadOnlySpan<byte> Labels { get; } = labels;
    public double Value { get; } = value;
    public long? Timestamp { get; } = timestamp;
    public int Line { get; } = line;

    /// <summary>A label's value, unescaped; null when the sample has no such label.</summary>
    public string? Label(ReadOnlySpan<byte> labelName)
    {
        var rest = Labels;
        while (!rest.IsEmpty)
        {
            var eq = rest.IndexOf((byte)'=');
            var key = rest[..eq].Trim((byte)' ');
            var p = eq + 1;
            while (rest[p] != (byte)'"') p++;
            var start = ++p;
            while (rest[p] != (byte)'"') p += rest[p] == (byte)'\\' ? 2 : 1;
            var raw = rest[start..p];
            if (key.SequenceEqual(labelName)) return ExpositionReader.Unescape(raw);
            rest = rest[(p + 1)..];
            var comma = rest.IndexOf((byte)',');
            rest = comma < 0 ? [] : rest[(comma + 1)..];
            rest = rest.TrimStart((byte)' ');
        }
        return null;
    }
}

/// <summary>
/// A strict reader of the Prometheus text format (version 0.0.4), straight from the bytes a scrape returns: every
/// line is a valid sample, a valid <c># HELP</c>/<c># TYPE</c>, another comment or blank, or the whole read fails
/// with the line and reason. Nothing is allocated per line except the label values a caller asks for.
/// </summary>
internal ref struct ExpositionReader(ReadOnlySpan<byte> text)
{
    private ReadOnlySpan<byte> rest = text;
    private int line;

    /// <summary>The next sample; false at the end. Throws <see cref="ExpositionFormatException"/> on bad input.</summary>
    public bool Next(out ExpositionSample sample)
    {
        while (!rest.IsEmpty)
        {
            line++;
            var nl = rest.IndexOf((byte)'\n');
            var current = nl < 0 ? rest : rest[..nl];
            rest = nl < 0 ? [] : rest[(nl + 1)..];
            if (current.IsEmpty || current.TrimEnd((byte)'\r').IsEmpty) continue;
            if (current[0] == (byte)'#')
            {
                CheckComment(current);
                continue;
            }
            sample = ParseSample(current);
            return true;
        }
        sample = default;
        return false;
    }

    private readonly void CheckComment(ReadOnlySpan<byte> text)
    {
        var body = text[1..].TrimStart((byte)' ');
        var isHelp = body.StartsWith("HELP "u8);
        var isType = body.StartsWith("TYPE "u8);
        if (!isHelp && !isType) return;
        var after = body[5..].TrimStart((byte)' ');
        var space = after.IndexOf((byte)' ');
        var name = space < 0 ? after : after[..space];
        if (!IsMetricName(name)) throw Fail($"# {(isHelp ? "HELP" : "TYPE")} names no valid metric");
        if (isType)
        {
            var type = space < 0 ? [] : after[(space + 1)..].Trim((byte)' ');
            if (!(type.SequenceEqual("counter"u8) || type.SequenceEqual("gauge"u8) || type.SequenceEqual("histogram"u8)
                  || type.SequenceEqual("summary"u8) || type.SequenceEqual("untyped"u8)))
            {
                throw Fail($"unknown metric type '{Show(type)}'");
            }
        }
        else if (space >= 0 && !CheckEscapes(after[(space + 1)..], allowQuote: true))
        {
            throw Fail("HELP text has an invalid escape");
        }
    }

    private readonly ExpositionSample ParseSample(ReadOnlySpan<byte> text)
    {
        var p = 0;
        while (p < text.Length && IsNameChar(text[p], p == 0)) p++;
        if (p == 0) throw Fail("a sample must start with a metric name");
        var name = text[..p];
        ReadOnlySpan<byte> labels = [];
        if (p < text.Length && text[p] == (byte)'{')
        {
            var start = ++p;
            p = SkipLabels(text, p);
            labels = text[start..(p - 1)];
        }
        if (p >= text.Length || (text[p] != (byte)' ' && text[p] != (byte)'\t')) throw Fail($"no value after '{Show(name)}'");
        while (p < text.Length && (text[p] == (byte)' ' || text[p] == (byte)'\t')) p++;
        var valueStart = p;
        while (p < text.Length && text[p] != (byte)' ' && text[p] != (byte)'\t' && text[p] != (byte)'\r') p++;
        var value = ParseValue(text[valueStart..p]);
        while (p < text.Length && (text[p] == (byte)' ' || text[p] == (byte)'\t')) p++;
        long? timestamp = null;
        var tsStart = p;
        while (p < text.Length && text[p] != (byte)' ' && text[p] != (byte)'\t' && text[p] != (byte)'\r') p++;
        if (p > tsStart)
        {
            if (!long.TryParse(text[tsStart..p], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts)) throw Fail($"timestamp '{Show(text[tsStart..p])}' is not an integer");
            timestamp = ts;
        }
        while (p < text.Length && (text[p] == (byte)' ' || text[p] == (byte)'\t' || text[p] == (byte)'\r')) p++;
        if (p != text.Length) throw Fail("unexpected text after the value");
        return new ExpositionSample(name, labels, value, timestamp, line);
    }

    /// <summary>Most labels one sample may carry (dcgm-exporter sets about ten).</summary>
    public const int MaxLabels = 64;

    /// <summary>Checks a label block from after '{' and returns the position after '}'.</summary>
    private readonly int SkipLabels(ReadOnlySpan<byte> text, int p)
    {
        Span<(int Start, int Length)> names = stackalloc (int, int)[MaxLabels];
        var count = 0;
        while (true)
        {
            while (p < text.Length && text[p] == (byte)' ') p++;
            if (p < text.Length && text[p] == (byte)'}') return p + 1;
            var nameStart = p;
            while (p < text.Length && IsLabelNameChar(text[p], p == nameStart)) p++;
            if (p == nameStart) throw Fail("expected a label name or '}'");
            var labelName = text[nameStart..p];
            for (var i = 0; i < count; i++)
            {
                if (text.Slice(names[i].Start, names[i].Length).SequenceEqual(labelName)) throw Fail($"label '{Show(labelName)}' appears twice");
            }
            if (count == MaxLabels) throw Fail($"more than {MaxLabels} labels");
            names[count++] = (nameStart, p - nameStart);
            while (p < text.Length && text[p] == (byte)' ') p++;
            if (p >= text.Length || text[p] != (byte)'=') throw Fail($"expected '=' after label '{Show(labelName)}'");
            p++;
            while (p < text.Length && text[p] == (byte)' ') p++;
            if (p >= text.Length || text[p] != (byte)'"') throw Fail($"label '{Show(labelName)}' has no quoted value");
            p++;
            var valueStart = p;
            while (p < text.Length && text[p] != (byte)'"')
            {
                if (text[p] == (byte)'\\')
                {
                    if (p + 1 >= text.Length || text[p + 1] is not ((byte)'\\' or (byte)'"' or (byte)'n')) throw Fail($"label '{Show(labelName)}' has an invalid escape");
                    p += 2;
                }
                else p++;
            }
            if (p >= text.Length) throw Fail($"label '{Show(labelName)}' value is not closed");
            if (!IsValidUtf8(text[valueStart..p])) throw Fail($"label '{Show(labelName)}' value is not UTF-8");
            p++;
            while (p < text.Length && text[p] == (byte)' ') p++;
            if (p < text.Length && text[p] == (byte)',')
            {
                p++;
                continue;
            }
            if (p < text.Length && text[p] == (byte)'}') return p + 1;
            throw Fail("expected ',' or '}' after a label");
        }
    }

    private readonly double ParseValue(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty) throw Fail("missing value");
        if (text.SequenceEqual("NaN"u8)) return double.NaN;
        if (text.SequenceEqual("+Inf"u8) || text.SequenceEqual("Inf"u8)) return double.PositiveInfinity;
        if (text.SequenceEqual("-Inf"u8)) return double.NegativeInfinity;
        // Only plain decimal and exponent forms: no thousands separators, currency, or spaces.
        foreach (var b in text)
        {
            if (!(b is >= (byte)'0' and <= (byte)'9' || b is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) throw Fail($"value '{Show(text)}' is not a number");
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) throw Fail($"value '{Show(text)}' is not a number");
        return v;
    }

    private static bool IsNameChar(byte b, bool first) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or (byte)':' || (!first && b is >= (byte)'0' and <= (byte)'9');

    private static bool IsLabelNameChar(byte b, bool first) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' || (!first && b is >= (byte)'0' and <= (byte)'9');

    private static bool IsMetricName(ReadOnlySpan<byte> name)
    {
        if (name.IsEmpty) return false;
        for (var i = 0; i < name.Length; i++)
            if (!IsNameChar(name[i], i == 0)) return false;
        return true;
    }

    private static bool CheckEscapes(ReadOnlySpan<byte> text, bool allowQuote)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != (byte)'\\') continue;
            if (i + 1 >= text.Length) return false;
            var next = text[i + 1];
            if (!(next is (byte)'\\' or (byte)'n' || (allowQuote && next == (byte)'"'))) return false;
            i++;
        }
        return true;
    }

    private static bool IsValidUtf8(ReadOnlySpan<byte> text) => System.Text.Unicode.Utf8.IsValid(text);

    /// <summary>A label value with its escapes resolved.</summary>
    public static string Unescape(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0) return Encoding.UTF8.GetString(raw);
        var buffer = raw.Length <= 256 ? stackalloc byte[raw.Length] : new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\\' && i + 1 < raw.Length)
            {
                i++;
                buffer[n++] = raw[i] == (byte)'n' ? (byte)'\n' : raw[i];
            }
            else buffer[n++] = raw[i];
        }
        return Encoding.UTF8.GetString(buffer[..n]);
    }

    private static string Show(ReadOnlySpan<byte> text) => Encoding.UTF8.GetString(text[..Math.Min(text.Length, 60)]);

    private readonly ExpositionFormatException Fail(string problem) => new(line, problem);
}
