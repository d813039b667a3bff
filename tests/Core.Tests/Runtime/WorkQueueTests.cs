using System.Diagnostics;
using Runai.Core.Runtime;

namespace Runai.Core.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);

    private static async Task<string?> TryTakeAsync(WorkQueue queue, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            return await queue.TakeAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task AKeyAddedManyTimesWhileWaitingIsTakenOnce()
    {
        var queue = new WorkQueue();
        for (var i = 0; i < 100; i++)
        {
            queue.Add("a/x");
        }

        queue.Add("a/y");
        Assert.Equal(2, queue.Depth);
        Assert.Equal("a/x", await TryTakeAsync(queue, Short));
        Assert.Equal("a/y", await TryTakeAsync(queue, Short));
        Assert.Null(await TryTakeAsync(queue, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task AKeyBeingProcessedIsNotHandedOutAgainUntilDone()
    {
        var queue = new WorkQueue();
        queue.Add("k");
        var key = await TryTakeAsync(queue, Short);
        queue.Add("k");

        Assert.Null(await TryTakeAsync(queue, TimeSpan.FromMilliseconds(50)));
        queue.Done(key!);
        Assert.Equal("k", await TryTakeAsync(queue, Short));
    }

    [Fact]
    public async Task AKeyNotAddedDuringProcessingIsNotRequeuedByDone()
    {
        var queue = new WorkQueue();
        queue.Add("k");
        queue.Done((await TryTakeAsync(queue, Short))!);

        Assert.Equal(0, queue.Depth);
        Assert.Null(await TryTakeAsync(queue, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task AddAfterHoldsTheKeyForTheDelay()
    {
        var queue = new WorkQueue();
        var clock = Stopwatch.StartNew();
        queue.AddAfter("k", TimeSpan.FromMilliseconds(150));

        Assert.Equal(1, queue.Depth);
        Assert.Equal("k", await TryTakeAsync(queue, Short));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(140), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AnImmediateAddOvertakesTheSameKeyWaitingForLater()
    {
        var queue = new WorkQueue();
        queue.AddAfter("k", TimeSpan.FromSeconds(30));
        queue.Add("k");
        var clock = Stopwatch.StartNew();

        Assert.Equal("k", await TryTakeAsync(queue, Short));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void FailuresDoubleTheRetryDelayUntilForgotten()
    {
        var queue = new WorkQueue(new WorkQueueOptions { BaseRetryDelay = TimeSpan.FromMilliseconds(5) });
        var delays = Enumerable.Range(0, 4).Select(_ => queue.AddRateLimited("k")).ToList();

        Assert.Equal([5, 10, 20, 40], delays.Select(d => d.TotalMilliseconds));
        Assert.Equal(4, queue.Failures("k"));
        queue.Forget("k");
        Assert.Equal(TimeSpan.FromMilliseconds(5), queue.AddRateLimited("k"));
    }

    [Fact]
    public void TheOverallBucketSlowsRetriesOfManyKeys()
    {
        var queue = new WorkQueue(new WorkQueueOptions { RetriesPerSecond = 10, RetryBurst = 2 });
        var delays = Enumerable.Range(0, 4).Select(i => queue.AddRateLimited($"k{i}")).ToList();

        Assert.Equal(TimeSpan.FromMilliseconds(5), delays[0]);
        Assert.Equal(TimeSpan.FromMilliseconds(5), delays[1]);
        Assert.InRange(delays[2].TotalMilliseconds, 90, 100);
        Assert.InRange(delays[3].TotalMilliseconds, 190, 200);
    }

    [Fact]
    public async Task TakeStopsWhenCancelled()
    {
        var queue = new WorkQueue();
        using var cts = new CancellationTokenSource();
        var take = queue.TakeAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => take.WaitAsync(Short));
    }

    [Fact]
    public void BadOptionsAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => new WorkQueue(new WorkQueueOptions { BaseRetryDelay = TimeSpan.Zero }));
        Assert.Contains("BaseRetryDelay", e.Message);
    }
}
