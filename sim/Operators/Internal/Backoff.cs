namespace Runai.Sim.Operators.Internal;

/// <summary>
/// Exponential back-off with jitter, as client-go's wait.Backoff: the delay doubles per failure up to a cap,
/// and each delay is spread by ±50% so that many clients failing together do not retry in lock-step.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan cap)
{
    private int failures;

    public static Backoff ForApi() => new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));

    public int Failures => failures;

    public TimeSpan NextDelay()
    {
        var exponent = Math.Min(failures, 20);
        failures++;
        var raw = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        return TimeSpan.FromMilliseconds(raw * (0.5 + Random.Shared.NextDouble()));
    }

    public void Reset() => failures = 0;
}
