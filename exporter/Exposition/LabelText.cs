using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Runai.Exporter.Exposition;

/// <summary>Why a label value was changed before it was written.</summary>
internal enum LabelBounding
{
    /// <summary>Longer than <see cref="LabelText.MaxLength"/>: cut, with a hash of the whole value so distinct values stay distinct.</summary>
    Truncated,
    /// <summary>Not valid Unicode (a lone surrogate, which is what non-UTF-8 bytes become): replaced by U+FFFD.</summary>
    InvalidUnicode,
    /// <summary>A control character other than newline: replaced by U+FFFD (newline is escaped as the format says).</summary>
    ControlCharacter,
}

/// <summary>
/// Label values as the exposition formats need them: escaped (<c>\\</c>, <c>\"</c>, <c>\n</c>), valid UTF-8, and bounded
/// in length, so no object in the cluster, however absurd its annotations, can break a scrape. Every change is reported
/// to <see cref="Bounded"/> so an operator can see that it happened.
/// </summary>
internal static class LabelText
{
    /// <summary>Longest label value written, in characters; Kubernetes names (at most 253) are never cut.</summary>
    public const int MaxLength = 256;

    private const int HashHexLength = 12;

    /// <summary>Told of every value changed; the exporter counts these in <c>runai_exporter_label_values_bounded_total</c>.</summary>
    public static Action<LabelBounding>? Bounded { get; set; }

    /// <summary>The value as it will appear between the quotes, before escaping: bounded and made valid.</summary>
    public static string Bound(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var clean = NeedsCleaning(value) ? Clean(value) : value;
        if (clean.Length <= MaxLength) return clean;
        Bounded?.Invoke(LabelBounding.Truncated);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..HashHexLength];
        var keep = MaxLength - HashHexLength - 1;
        // Do not cut a surrogate pair in half.
        if (char.IsHighSurrogate(clean[keep - 1])) keep--;
        return string.Concat(clean.AsSpan(0, keep), "~", hash);
    }

    /// <summary>Appends <c>"value"</c> (bounded, escaped, UTF-8) to <paramref name="output"/>.</summary>
    public static void WriteQuoted(StringBuilder output, string? value)
    {
        output.Append('"');
        foreach (var c in Bound(value))
        {
            switch (c)
            {
                case '\\': output.Append(@"\\"); break;
                case '"': output.Append("\\\""); break;
                case '\n': output.Append(@"\n"); break;
                default: output.Append(c); break;
            }
        }

        output.Append('"');
    }

    private static bool NeedsCleaning(string value)
    {
        foreach (var c in value)
        {
            if (char.IsSurrogate(c) || (char.IsControl(c) && c != '\n')) return true;
        }

        return false;
    }

    private static string Clean(string value)
    {
        var builder = new StringBuilder(value.Length);
        bool invalid = false, control = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append('\uFFFD');
                invalid = true;
            }
            else if (char.IsControl(c) && c != '\n')
            {
                builder.Append('\uFFFD');
                control = true;
            }
            else
            {
                builder.Append(c);
            }
        }

        if (invalid) Bounded?.Invoke(LabelBounding.InvalidUnicode);
        if (control) Bounded?.Invoke(LabelBounding.ControlCharacter);
        return builder.ToString();
    }
}
