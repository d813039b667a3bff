using Runai.Core.Scheduling;

namespace Runai.Scheduling.Tests.Algorithm;

public sealed class PolicyTests
{
    [Fact]
    public void ReadsEveryKey()
    {
        var policy = SchedulingPolicy.Parse(new Dictionary<string, string>
        {
            [SchedulingPolicy.PreemptibleKey] = "train, research",
            [SchedulingPolicy.NonPreemptibleKey] = "build,inference,critical",
            [SchedulingPolicy.MaxGpusKey] = "16",
            [SchedulingPolicy.DefaultPriorityClassKey] = "build",
        }, out var problems);
        Assert.Empty(problems);
        Assert.True(policy.IsPreemptible("research", 200));
        Assert.False(policy.IsPreemptible("critical", 10));
        Assert.Equal(16_000, policy.MaxGpusPerWorkloadMilli);
        Assert.False(policy.IsPreemptible(null, 50)); // the default class, build, is non-preemptible
        Assert.Equal(100, policy.PriorityOf(null, null));
    }

    [Fact]
    public void UnlistedClassesFollowThePriorityThreshold()
    {
        var policy = SchedulingPolicy.Default;
        Assert.True(policy.IsPreemptible("batch", 99));
        Assert.False(policy.IsPreemptible("batch", 100));
        Assert.Equal(125, policy.PriorityOf("inference", 7));
        Assert.Equal(7, policy.PriorityOf("custom", 7));
        Assert.Equal(50, policy.PriorityOf("custom", null));
    }

    [Fact]
    public void BadValuesAreNamedAndDefaultsKept()
    {
        var policy = SchedulingPolicy.Parse(new Dictionary<string, string>
        {
            [SchedulingPolicy.MaxGpusKey] = "lots",
            [SchedulingPolicy.DefaultPriorityClassKey] = " ",
            ["max-gpu"] = "4",
        }, out var problems);
        Assert.Null(policy.MaxGpusPerWorkloadMilli);
        Assert.Equal("train", policy.DefaultPriorityClass);
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("max-gpus-per-workload=\"lots\" is not a positive GPU amount", StringComparison.Ordinal));
        Assert.Contains(problems, p => p == "unknown key \"max-gpu\" ignored");
    }
}
