namespace Runai.Sim.Kubelet;

/// <summary>
/// Simulated time that runs <c>factor</c> times faster than the wall clock from the moment it is made: clocks
/// read ahead and timers fire early by the same factor. Lets tests watch minutes of crash-loop back-off or
/// long runs in seconds; the timestamps it yields lie in the (real) future.
/// </summary>
internal sealed class AcceleratedTimeProvider : TimeProvider
{
    private readonly double factor;
    private readonly DateTimeOffset start;
    private readonly long startTimestamp;

    public AcceleratedTimeProvider(double factor)
    {
        if (!(factor >= 1) || double.IsInfinity(factor)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "the speed-up factor must be a finite number ≥ 1");
        this.factor = factor;
        start = System.GetUtcNow();
        startTimestamp = System.GetTimestamp();
    }

    public override DateTimeOffset GetUtcNow() => start + TimeSpan.FromTicks((long)(System.GetElapsedTime(startTimestamp).Ticks * factor));

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(callback, state, Scale(dueTime), Scale(period));

    private TimeSpan Scale(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : TimeSpan.FromTicks(Math.Max(1, (long)(span.Ticks / factor)));
}
