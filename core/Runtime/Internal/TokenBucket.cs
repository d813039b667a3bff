namespace Runai.Core.Runtime.Internal;

/// <summary>
/// The overall retry limit: <c>burst</c> tokens refilled at <c>rate</c> per second. <see cref="Reserve"/> always takes a
/// token, possibly one not yet minted, and says how long to wait for it, so waiting retries queue up fairly.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _rate;
    private readonly double _burst;
    private readonly Lock _gate = new();
    private double _tokens;
    private long _last;

    public TokenBucket(double ratePerSecond, int burst, long nowTicks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        _rate = ratePerSecond;
        _burst = burst;
        _tokens = burst;
        _last = nowTicks;
    }

    /// <summary>Takes a token at <paramref name="nowTicks"/> (TimeSpan ticks) and returns the wait until it exists.</summary>
    public TimeSpan Reserve(long nowTicks)
    {
        lock (_gate)
        {
            if (nowTicks > _last)
            {
                _tokens = Math.Min(_burst, _tokens + (nowTicks - _last) / (double)TimeSpan.TicksPerSecond * _rate);
                _last = nowTicks;
            }

            _tokens -= 1;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _rate);
        }
    }
}
