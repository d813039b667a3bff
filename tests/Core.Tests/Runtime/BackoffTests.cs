using Runai.Core.Runtime.Internal;

namespace Runai.Core.Tests.Runtime;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(1000);

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(10, 5120)]
    public void TheCeilingDoublesPerAttempt(int attempt, double ms)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(ms), Backoff.Ceiling(Initial, Cap, attempt));
    }

    [Theory]
    [InlineData(18)]
    [InlineData(40)]
    [InlineData(int.MaxValue)]
    public void TheCeilingStopsAtTheCap(int attempt)
    {
        Assert.Equal(Cap, Backoff.Ceiling(Initial, Cap, attempt));
    }

    [Fact]
    public void JitterKeepsTheDelayBetweenHalfAndAllOfTheCeiling()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(10), new Backoff(Initial, Cap, () => 0).Delay(2));
        Assert.Equal(TimeSpan.FromMilliseconds(20), new Backoff(Initial, Cap, () => 1).Delay(2));
        var random = new Backoff(Initial, TimeSpan.FromSeconds(30));
        for (var attempt = 0; attempt < 30; attempt++)
        {
            var ceiling = Backoff.Ceiling(Initial, TimeSpan.FromSeconds(30), attempt);
            var d = random.Delay(attempt);
            Assert.InRange(d, ceiling / 2, ceiling);
        }
    }

    [Fact]
    public void ANegativeAttemptIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Ceiling(Initial, Cap, -1));
    }
}
