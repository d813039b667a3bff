using System.Globalization;

namespace Runai.Core.Hosting;

/// <summary>
/// Durations written the way Kubernetes components take them on the command line (<c>15s</c>, <c>500ms</c>,
/// <c>1m30s</c>), so flags read the same as in client-go based controllers.
/// </summary>
internal static class GoDuration
{
    private static readonly (string Unit, double Ms)[] Units =
    [
        ("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000001), ("h", 3_600_000), ("m", 60_000), ("s", 1000),
    ];

    /// <summary>Parses a duration; the error names what is wrong with the text.</summary>
    public static bool TryParse(string text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty duration (write it like 15s, 500ms or 1m30s)";
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        double totalMs = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                error = $"'{text}' is not a duration (write it like 15s, 500ms or 1m30s)";
                return false;
            }

            var unit = Units.FirstOrDefault(u => text.AsSpan(i).StartsWith(u.Unit, StringComparison.Ordinal));
            if (unit.Unit is null)
            {
                error = i == text.Length
                    ? $"'{text}' has no unit (write it like 15s, 500ms or 1m30s)"
                    : $"'{text}' has an unknown unit at '{text[i..]}' (use h, m, s or ms)";
                return false;
            }

            totalMs += number * unit.Ms;
            i += unit.Unit.Length;
        }

        value = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }
}
