using Runai.Core.Runtime.Internal;

namespace Runai.Core.Tests.Runtime;

public sealed class TokenBucketTests
{
    [Fact]
    public void TheBurstPassesWithoutWaiting()
    {
        var bucket = new TokenBucket(10, 3, 0);
        Assert.All(Enumerable.Range(0, 3).Select(_ => bucket.Reserve(0)), d => Assert.Equal(TimeSpan.Zero, d));
    }

    [Fact]
    public void BeyondTheBurstEachTokenWaitsOneRefillLonger()
    {
        var bucket = new TokenBucket(10, 1, 0);
        bucket.Reserve(0);
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Reserve(0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), bucket.Reserve(0));
    }

    [Fact]
    public void TokensRefillWithTimeUpToTheBurst()
    {
        var bucket = new TokenBucket(10, 2, 0);
        bucket.Reserve(0);
        bucket.Reserve(0);
        var later = TimeSpan.FromSeconds(10).Ticks;
        Assert.Equal(TimeSpan.Zero, bucket.Reserve(later));
        Assert.Equal(TimeSpan.Zero, bucket.Reserve(later));
        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Reserve(later));
    }
}
