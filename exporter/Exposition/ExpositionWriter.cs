using System.Buffers;
using System.Globalization;

namespace Runai.Exporter.Exposition;

/// <summary>The two exposition formats Prometheus negotiates.</summary>
internal enum ExpositionFormat
{
    /// <summary>Prometheus text format 0.0.4.</summary>
    Text,
    /// <summary>OpenMetrics 1.0.0 text: the same lines for gauges, ended by <c># EOF</c>.</summary>
    OpenMetrics,
}

internal static class ExpositionFormats
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetrics ? OpenMetricsContentType : TextContentType;

    /// <summary>
    /// OpenMetrics when the Accept header asks for <c>application/openmetrics-text</c> with a higher (or equal, when it
    /// comes first) quality than the text format, as Prometheus' scrape Accept header does; the text format otherwise.
    /// </summary>
    public static ExpositionFormat Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return ExpositionFormat.Text;
        double openMetrics = -1, text = -1;
        foreach (var part in accept.Split(','))
        {
            var fields = part.Split(';');
            var type = fields[0].Trim();
            var quality = 1.0;
            foreach (var parameter in fields.Skip(1))
            {
                var p = parameter.Trim();
                if (p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
                    && double.TryParse(p.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out var q))
                    quality = q;
            }

            if (type.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase))
                openMetrics = Math.Max(openMetrics, quality);
            else if (type.Equals("text/plain", StringComparison.OrdinalIgnoreCase) || type == "*/*" || type.Equals("text/*", StringComparison.OrdinalIgnoreCase))
                text = Math.Max(text, quality);
        }

        return openMetrics > 0 && openMetrics >= text ? ExpositionFormat.OpenMetrics : ExpositionFormat.Text;
    }
}

/// <summary>
/// Writes family groups to a stream: for each family its HELP/TYPE lines and then every object's pre-rendered lines,
/// through one reusable buffer flushed as it fills. Clock-driven samples get their value formatted here.
/// </summary>
internal sealed class ExpositionWriter(Stream output, int bufferSize = 64 * 1024)
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    private int _used;

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    public async ValueTask WriteAsync(IEnumerable<FamilyGroup> groups, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var group in groups)
        {
            var objects = group.Objects;
            for (var f = 0; f < group.Families.Count; f++)
            {
                var family = group.Families[f];
                await AppendAsync(family.Header, ct).ConfigureAwait(false);
                foreach (var series in objects)
                {
                    if (family.Timed)
                    {
                        if (series.Timed[f] is not { } samples) continue;
                        foreach (var sample in samples)
                        {
                            await AppendAsync(sample.Prefix, ct).ConfigureAwait(false);
                            await AppendValueAsync(sample.ValueAt(now), ct).ConfigureAwait(false);
                        }
                    }
                    else if (series.Lines[f] is { } lines)
                    {
                        await AppendAsync(lines, ct).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    /// <summary>Writes raw bytes (another registry's output, <c># EOF</c>).</summary>
    public ValueTask AppendAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        if (_used + bytes.Length <= _buffer.Length)
        {
            bytes.Span.CopyTo(_buffer.AsSpan(_used));
            _used += bytes.Length;
            Written += bytes.Length;
            return ValueTask.CompletedTask;
        }

        return AppendSlowAsync(bytes, ct);
    }

    public async ValueTask FlushAsync(CancellationToken ct)
    {
        if (_used > 0)
        {
            await output.WriteAsync(_buffer.AsMemory(0, _used), ct).ConfigureAwait(false);
            _used = 0;
        }

        await output.FlushAsync(ct).ConfigureAwait(false);
    }

    public void Release()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private async ValueTask AppendSlowAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        await output.WriteAsync(_buffer.AsMemory(0, _used), ct).ConfigureAwait(false);
        _used = 0;
        if (bytes.Length > _buffer.Length)
        {
            await output.WriteAsync(bytes, ct).ConfigureAwait(false);
        }
        else
        {
            bytes.Span.CopyTo(_buffer);
            _used = bytes.Length;
        }

        Written += bytes.Length;
    }

    private async ValueTask AppendValueAsync(double value, CancellationToken ct)
    {
        if (_buffer.Length - _used < 48)
        {
            await output.WriteAsync(_buffer.AsMemory(0, _used), ct).ConfigureAwait(false);
            _used = 0;
        }

        var length = FormatValue(value, _buffer.AsSpan(_used));
        _used += length;
        Written += length;
    }

    private static int FormatValue(double value, Span<byte> text)
    {
        int length;
        if (!double.IsFinite(value) || !value.TryFormat(text, out length, "R", CultureInfo.InvariantCulture))
        {
            length = System.Text.Encoding.ASCII.GetBytes(SeriesBuilder.FormatValue(value), text);
        }

        text[length++] = (byte)'\n';
        return length;
    }
}
