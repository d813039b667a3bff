using System.Globalization;

namespace Runai.Sim.Api.Tables;

/// <summary>
/// Durations as kubectl shows them in AGE columns (apimachinery's HumanDuration): seconds up to two minutes,
/// then minutes with seconds under ten minutes, hours with minutes under eight hours, days with hours under
/// eight days, days up to two years, then years.
/// </summary>
internal static class HumanDuration
{
    public static string Format(TimeSpan d)
    {
        // A clock a second or so behind is tolerated as "now".
        var seconds = (long)Math.Truncate(d.TotalSeconds);
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 60 * 2)
        {
            return Inv($"{seconds}s");
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? Inv($"{minutes}m") : Inv($"{minutes}m{s}s");
        }

        if (minutes < 60 * 3)
        {
            return Inv($"{minutes}m");
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? Inv($"{hours}h") : Inv($"{hours}h{m}m");
        }

        if (hours < 48)
        {
            return Inv($"{hours}h");
        }

        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? Inv($"{hours / 24}d") : Inv($"{hours / 24}d{h}h");
        }

        if (hours < 24 * 365 * 2)
        {
            return Inv($"{hours / 24}d");
        }

        if (hours < 24 * 365 * 8)
        {
            var days = hours / 24 % 365;
            return days == 0 ? Inv($"{hours / 24 / 365}y") : Inv($"{hours / 24 / 365}y{days}d");
        }

        return Inv($"{hours / 24 / 365}y");
    }

    /// <summary>Time since an RFC 3339 timestamp, or <c>&lt;unknown&gt;</c> when there is none (translateTimestampSince).</summary>
    public static string Since(string? timestamp, DateTimeOffset now)
    {
        if (!TryParseTime(timestamp, out var t))
        {
            return "<unknown>";
        }

        return Format(now - t);
    }

    public static bool TryParseTime(string? timestamp, out DateTimeOffset time)
    {
        time = default;
        return !string.IsNullOrEmpty(timestamp)
            && DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
