namespace Runai.Workloads.Tests.Support;

/// <summary>Test classes that share one simulated cluster with workload-controller running (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class WorkloadCluster : ICollectionFixture<WorkloadClusterFixture>
{
    public const string Name = "workload cluster";
}
