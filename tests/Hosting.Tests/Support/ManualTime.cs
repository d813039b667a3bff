namespace Runai.Hosting.Tests.Support;

/// <summary>A clock that moves only when the test says so.</summary>
internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
