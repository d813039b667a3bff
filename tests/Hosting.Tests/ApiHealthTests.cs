using Runai.Core.Hosting;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

public sealed class ApiHealthTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private readonly ManualTime _time = new();
    private readonly ApiHealth _health;

    public ApiHealthTests()
    {
        _health = new ApiHealth("me", Lease, _time);
    }

    [Fact]
    public void AReplicaIsNotReadyBeforeTheApiServerHasAnswered()
    {
        var r = _health.Check();
        Assert.False(r.Ready);
        Assert.Contains("has not answered yet", r.Reason);
    }

    [Fact]
    public void AnUnreachableApiServerIsNamedInTheReason()
    {
        _health.Unreachable("Connection refused");
        var r = _health.Check();
        Assert.False(r.Ready);
        Assert.Contains("Connection refused", r.Reason);
    }

    [Fact]
    public void TheLeaderIsReady()
    {
        _health.Answered("me");
        _health.SetLeading(true);
        Assert.Equal(new Readiness(true, "leading as me"), _health.Check());
    }

    [Fact]
    public void AStandbyThatSeesAnotherHolderIsReady()
    {
        _health.Answered("other");
        Assert.Equal(new Readiness(true, "standing by; other leads"), _health.Check());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("me")]
    public void AReplicaThatNeitherLeadsNorSeesAnotherLeaderIsNotReady(string? holder)
    {
        _health.Answered(holder);
        var r = _health.Check();
        Assert.False(r.Ready);
        Assert.Contains("the lease is free", r.Reason);
    }

    [Fact]
    public void A403MakesTheReplicaNotReadyAndSaysSoUntilAnAnswerIsAllowedAgain()
    {
        _health.Answered("me");
        _health.SetLeading(true);
        _health.Denied("403 Forbidden to get leases/workload-controller in runai as me");
        Assert.True(_health.Refused);
        var r = _health.Check();
        Assert.False(r.Ready);
        Assert.Contains("403 Forbidden", r.Reason);
        Assert.Contains("get leases/workload-controller", r.Reason);

        _health.Answered("me");
        Assert.False(_health.Refused);
        Assert.True(_health.Check().Ready);
    }

    [Fact]
    public void AnAnswerOlderThanOneLeaseDurationNoLongerCounts()
    {
        _health.Answered("other");
        _time.Advance(Lease);
        Assert.True(_health.Check().Ready);

        _health.Unreachable("timeout");
        _time.Advance(TimeSpan.FromSeconds(1));
        var r = _health.Check();
        Assert.False(r.Ready);
        Assert.Contains("no answer from the API server for 16s: timeout", r.Reason);
    }

    [Fact]
    public void AConflictStillProvesTheApiServerIsReachable()
    {
        _health.Answered("other");
        _time.Advance(TimeSpan.FromSeconds(14));
        _health.AnsweredWithoutLease("update leases/workload-controller: HTTP 409");
        _time.Advance(TimeSpan.FromSeconds(14));
        Assert.True(_health.Check().Ready);
    }

    [Fact]
    public void LosingLeadershipFallsBackToTheHolderLastSeen()
    {
        _health.Answered("me");
        _health.SetLeading(true);
        _health.SetLeading(false);
        Assert.False(_health.Check().Ready);
        _health.Answered("other");
        Assert.True(_health.Check().Ready);
    }
}
