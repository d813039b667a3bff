using System.Globalization;
using System.Text;

namespace Runai.Sim.Api.Protobuf;

/// <summary>Go's <c>time.Duration.String()</c>, the JSON form of meta/v1 Duration ("1h0m0s", "1.5s", "250ms").</summary>
internal static class GoDuration
{
    public static string Format(long nanos)
    {
        if (nanos == 0)
        {
            return "0s";
        }

        // long.MinValue has no positive counterpart in long, so take the magnitude as unsigned.
        var magnitude = nanos < 0 ? unchecked((ulong)(-(nanos + 1)) + 1) : (ulong)nanos;
        var sign = nanos < 0 ? "-" : "";
        if (magnitude < 1_000)
        {
            return $"{sign}{magnitude}ns";
        }

        if (magnitude < 1_000_000)
        {
            return $"{sign}{WithFraction(magnitude, 1_000, 3)}µs";
        }

        if (magnitude < 1_000_000_000)
        {
            return $"{sign}{WithFraction(magnitude, 1_000_000, 6)}ms";
        }

        var seconds = magnitude / 1_000_000_000;
        var hours = seconds / 3600;
        var minutes = seconds / 60 % 60;
        var text = new StringBuilder(sign);
        if (hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{hours}h");
        }

        if (hours > 0 || minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{minutes}m");
        }

        return text.Append(WithFraction(magnitude % 60_000_000_000, 1_000_000_000, 9)).Append('s').ToString();
    }

    private static string WithFraction(ulong value, ulong unit, int digits)
    {
        var whole = (value / unit).ToString(CultureInfo.InvariantCulture);
        var rest = value % unit;
        return rest == 0 ? whole : $"{whole}.{rest.ToString(new string('0', digits), CultureInfo.InvariantCulture).TrimEnd('0')}";
    }
}
