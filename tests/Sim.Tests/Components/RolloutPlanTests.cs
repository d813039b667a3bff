using System.Text.Json.Nodes;
using Runai.Sim.Cluster;

namespace Runai.Sim.Tests.Components;

public sealed class RolloutPlanTests
{
    [Theory]
    [InlineData("25%", "25%", 1, 1, 0)]
    [InlineData("25%", "25%", 4, 1, 1)]
    [InlineData("25%", "25%", 10, 3, 2)]
    [InlineData("0", "0", 3, 0, 1)]
    [InlineData("50%", "0", 3, 2, 0)]
    public void PercentagesRoundSurgeUpAndUnavailabilityDown(string surge, string unavailable, int replicas, int expectedSurge, int expectedUnavailable)
    {
        static JsonNode Value(string s) => int.TryParse(s, out var n) ? JsonValue.Create(n) : JsonValue.Create(s);
        Assert.Equal((expectedSurge, expectedUnavailable), RolloutPlan.Limits(Value(surge), Value(unavailable), replicas));
    }

    [Fact]
    public void AMalformedLimitIsAnErrorNamingTheField()
    {
        var e = Assert.Throws<FormatException>(() => RolloutPlan.Limits(JsonValue.Create("lots"), null, 3));
        Assert.Contains("maxSurge", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ASingleReplicaRestartSurgesOneNewPodBeforeTheOldOneGoes()
    {
        var old = new[] { new ReplicaSetCounts("old", 1, 1) };
        var (first, firstOld) = RolloutPlan.RollingStep(1, 1, 0, new ReplicaSetCounts("new", 0, 0), old);
        Assert.Equal(1, first);
        Assert.Equal(1, firstOld["old"]);

        var (second, secondOld) = RolloutPlan.RollingStep(1, 1, 0, new ReplicaSetCounts("new", 1, 1), old);
        Assert.Equal(1, second);
        Assert.Equal(0, secondOld["old"]);
    }

    [Fact]
    public void OldPodsThatAreNotAvailableGoFirst()
    {
        var old = new[] { new ReplicaSetCounts("old", 4, 2) };
        var (_, after) = RolloutPlan.RollingStep(4, 1, 2, new ReplicaSetCounts("new", 1, 0), old);
        // Two may go; the two unavailable old pods cost no availability, so they are the ones, and the available stay.
        Assert.Equal(2, after["old"]);
        var (_, tighter) = RolloutPlan.RollingStep(4, 1, 1, new ReplicaSetCounts("new", 1, 0), old);
        Assert.Equal(3, tighter["old"]);
    }

    [Fact]
    public void ScalingToZeroScalesEverythingDown()
    {
        var (replicas, old) = RolloutPlan.RollingStep(0, 1, 0, new ReplicaSetCounts("new", 2, 2), [new ReplicaSetCounts("old", 1, 1)]);
        Assert.Equal(0, replicas);
        Assert.Equal(0, old["old"]);
    }

    [Fact]
    public void RecreateStartsTheNewPodsOnlyOnceTheOldOnesAreGone()
    {
        var old = new[] { new ReplicaSetCounts("old", 2, 2) };
        Assert.Equal(0, RolloutPlan.RecreateStep(2, old, oldPodsRunning: 2).NewReplicas);
        Assert.Equal(2, RolloutPlan.RecreateStep(2, old, oldPodsRunning: 0).NewReplicas);
        Assert.Equal(0, RolloutPlan.RecreateStep(2, old, oldPodsRunning: 2).Old["old"]);
    }
}
