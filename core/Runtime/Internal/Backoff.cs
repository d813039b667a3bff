namespace Runai.Core.Runtime.Internal;

/// <summary>
/// Exponential back-off with "equal jitter": attempt n waits between half and all of min(cap, initial·2ⁿ), so retries
/// from many clients spread out while the delay still grows.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan cap, Func<double>? random = null)
{
    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    public static TimeSpan Ceiling(TimeSpan initial, TimeSpan cap, int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        // 2^62 ticks overflows long; anything past 40 doublings is the cap for any sane initial delay.
        var ticks = attempt >= 40 ? double.MaxValue : initial.Ticks * Math.Pow(2, attempt);
        return ticks >= cap.Ticks ? cap : TimeSpan.FromTicks((long)ticks);
    }

    public TimeSpan Delay(int attempt)
    {
        var ceiling = Ceiling(initial, cap, attempt);
        return TimeSpan.FromTicks((long)(ceiling.Ticks * (0.5 + 0.5 * _random())));
    }
}
