using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Workloads;
using Runai.Core.Yaml;
using Runai.Workloads.Tests.Support;
using Stage = Runai.Workloads.Tests.Support.PodBuilder.Stage;

namespace Runai.Workloads.Tests;

/// <summary>The <c>runai-*</c> annotation values (SPEC §3) computed from pods, nodes, the gang and the pod group.</summary>
public sealed class AnnotationValuesTests
{
    private const long H200MiB = 75377;

    [Fact]
    public void TheSeedMpiJobReadsExactlyWhatTheSpecLists()
    {
        var job = SeedMpiJob();
        var pods = new List<V1Pod>
        {
            PodBuilder.Worker("nccl-roce-validation-worker-0", Stage.Running, "gpu-worker-02"),
            PodBuilder.Worker("nccl-roce-validation-worker-1", Stage.Running, "gpu-worker-01"),
            PodBuilder.Launcher(Stage.Running, "gpu-worker-05"),
        };
        var state = WorkloadState.Of(WorkloadObservation.For(job, pods, _ => H200MiB, podGroup: null));

        var annotations = state.ToAnnotations();
        Assert.Equal("Running", annotations[RunaiAnnotations.CalculatedStatus]);
        Assert.Equal("0", annotations[RunaiAnnotations.PendingPods]);
        Assert.Equal("2", annotations[RunaiAnnotations.RunningPods]);
        Assert.Equal("4", annotations[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("301508", annotations[RunaiAnnotations.CurrentAllocatedGpusMemory]);
        Assert.Equal("4", annotations[RunaiAnnotations.CurrentRequestedGpus]);
        Assert.Equal("4", annotations[RunaiAnnotations.TotalRequestedGpus]);
        Assert.Equal("4", annotations[RunaiAnnotations.PodGroupRequestedGpus]);
        Assert.Equal("0", annotations[RunaiAnnotations.PodGroupRequestedGpusMemory]);
        Assert.Equal("gpu-worker-01, gpu-worker-02", annotations[RunaiAnnotations.UsedNodes]);
        Assert.Null(annotations[RunaiAnnotations.PendingReason]);
    }

    [Fact]
    public void MemoryIsZeroWhenTheNodesHaveNoGpuMemoryLabel()
    {
        var pods = new List<V1Pod>
        {
            PodBuilder.Worker("w-0", Stage.Running, "gpu-worker-01"),
            PodBuilder.Worker("w-1", Stage.Running, "gpu-worker-02"),
        };
        var state = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), pods, _ => null, null));
        Assert.Equal("0", state.ToAnnotations()[RunaiAnnotations.CurrentAllocatedGpusMemory]);
        Assert.Equal("4", state.ToAnnotations()[RunaiAnnotations.CurrentAllocatedGpus]);

        // One node labelled, one not: only the labelled one's GPUs count.
        var half = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), pods, n => n == "gpu-worker-01" ? H200MiB : null, null));
        Assert.Equal("150754", half.ToAnnotations()[RunaiAnnotations.CurrentAllocatedGpusMemory]);
    }

    [Fact]
    public void GpuMemoryLabelIsReadFromTheNode()
    {
        Assert.Equal(H200MiB, WorkloadObservation.GpuMemoryOf(Node(new() { [GpuLabels.Memory] = "75377" })));
        Assert.Null(WorkloadObservation.GpuMemoryOf(Node(new())));
        Assert.Null(WorkloadObservation.GpuMemoryOf(Node(new() { [GpuLabels.Memory] = "lots" })));
        Assert.Null(WorkloadObservation.GpuMemoryOf(Node(new() { [GpuLabels.Memory] = "-5" })));
        Assert.Null(WorkloadObservation.GpuMemoryOf(null));
    }

    [Fact]
    public void UnscheduledPodsAreRequestedButNotAllocated()
    {
        var pods = new List<V1Pod>
        {
            PodBuilder.Worker("w-0", Stage.Starting, "gpu-worker-03"),
            PodBuilder.Worker("w-1", Stage.Unscheduled),
        };
        var a = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), pods, _ => H200MiB, null)).ToAnnotations();
        Assert.Equal("Pending", a[RunaiAnnotations.CalculatedStatus]);
        Assert.Equal("2", a[RunaiAnnotations.PendingPods]);
        Assert.Equal("0", a[RunaiAnnotations.RunningPods]);
        Assert.Equal("2", a[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("4", a[RunaiAnnotations.CurrentRequestedGpus]);
        Assert.Equal("150754", a[RunaiAnnotations.CurrentAllocatedGpusMemory]);
        Assert.Equal("gpu-worker-03", a[RunaiAnnotations.UsedNodes]);
    }

    [Fact]
    public void FinishedPodsHoldNothingButKeepTheirNode()
    {
        var pods = new List<V1Pod>
        {
            PodBuilder.Worker("w-0", Stage.Succeeded, "gpu-worker-01"),
            PodBuilder.Worker("w-1", Stage.Failed, "gpu-worker-02"),
        };
        var a = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), pods, _ => H200MiB, null)).ToAnnotations();
        Assert.Equal("0", a[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("0", a[RunaiAnnotations.CurrentRequestedGpus]);
        Assert.Equal("0", a[RunaiAnnotations.CurrentAllocatedGpusMemory]);
        Assert.Equal("4", a[RunaiAnnotations.TotalRequestedGpus]);
        Assert.Equal("gpu-worker-01, gpu-worker-02", a[RunaiAnnotations.UsedNodes]);
    }

    [Fact]
    public void FractionsAndMemoryRequestsCountTheirShare()
    {
        var pods = new List<V1Pod>
        {
            PodBuilder.Worker("half", Stage.Running, "gpu-worker-01", fraction: "0.5"),
            PodBuilder.Worker("mem", Stage.Running, "gpu-worker-02", memoryMiB: 20000),
        };
        var o = StatusCalculationTests.Gang([Stage.Running, Stage.Running], null) with { Pods = pods, NodeGpuMemoryMiB = _ => H200MiB };
        var a = WorkloadState.Of(o).ToAnnotations();
        Assert.Equal("0.5", a[RunaiAnnotations.CurrentAllocatedGpus]);
        Assert.Equal("0.5", a[RunaiAnnotations.CurrentRequestedGpus]);
        Assert.Equal((37688 + 20000).ToString(System.Globalization.CultureInfo.InvariantCulture), a[RunaiAnnotations.CurrentAllocatedGpusMemory]);
    }

    [Fact]
    public void PodGroupMemoryComesFromGpuMemoryRequests()
    {
        var workload = new TrainingWorkload { Metadata = new V1ObjectMeta { Name = "t", NamespaceProperty = "my-project" } };
        workload.Spec.Workers = 3;
        workload.Spec.GpuMemoryMiB = 10240;
        var a = WorkloadState.Of(WorkloadObservation.For(workload, [], _ => H200MiB, null, WorkloadOutcome.None)).ToAnnotations();
        Assert.Equal("30720", a[RunaiAnnotations.PodGroupRequestedGpusMemory]);
        Assert.Equal("0", a[RunaiAnnotations.PodGroupRequestedGpus]);
        Assert.Equal("Creating", a[RunaiAnnotations.CalculatedStatus]);
    }

    [Fact]
    public void ThePendingReasonIsCopiedFromThePodGroupWhileTheWorkloadWaits()
    {
        var group = new PodGroup
        {
            Status = new PodGroupStatus
            {
                Conditions = [new ResourceCondition { Type = PodGroupConditionTypes.Scheduled, Status = ConditionStatus.False, Reason = PendingReasons.OverQuota, Message = "project my-project holds 16 of its 16 GPUs" }],
            },
        };
        var waiting = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), [PodBuilder.Worker("w-0", Stage.Unscheduled)], _ => H200MiB, group));
        Assert.Equal("OverQuota: project my-project holds 16 of its 16 GPUs", waiting.ToAnnotations()[RunaiAnnotations.PendingReason]);

        // Once the gang runs, nothing waits: the reason is removed even if the pod group still says False.
        var running = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(),
            [PodBuilder.Worker("w-0", Stage.Running), PodBuilder.Worker("w-1", Stage.Running)], _ => H200MiB, group));
        Assert.Null(running.PendingReason);

        group.Status.Conditions[0].Status = ConditionStatus.True;
        var placed = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), [PodBuilder.Worker("w-0", Stage.Unscheduled)], _ => H200MiB, group));
        Assert.Null(placed.PendingReason);
    }

    [Fact]
    public void ChangesAreEmptyWhenTheAnnotationsAgreeAndRemoveAStaleReason()
    {
        var state = WorkloadState.Of(WorkloadObservation.For(SeedMpiJob(), [], _ => H200MiB, null));
        var current = state.ToAnnotations().Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!);
        current["unrelated"] = "kept";
        Assert.Empty(state.ChangesFrom(current));

        current[RunaiAnnotations.PendingReason] = "OverQuota: old";
        current[RunaiAnnotations.RunningPods] = "7";
        var changes = state.ChangesFrom(current);
        Assert.Equal(2, changes.Count);
        Assert.Null(changes[RunaiAnnotations.PendingReason]);
        Assert.Equal("0", changes[RunaiAnnotations.RunningPods]);

        Assert.Equal(RunaiAnnotations.All.Count - 1, state.ChangesFrom(null).Count);
    }

    [Fact]
    public void CountsStayConsistentForEveryMixOfStages()
    {
        var stages = new Stage?[] { null, Stage.Unscheduled, Stage.Starting, Stage.Running, Stage.Succeeded, Stage.Failed };
        foreach (var a in stages)
        foreach (var b in stages)
        foreach (var c in stages)
        foreach (var launcher in stages)
        {
            var pods = new[] { a, b, c }.Select((s, i) => s is { } st ? PodBuilder.Worker($"w-{i}", st, $"gpu-worker-0{i % 2 + 1}") : null)
                .OfType<V1Pod>().ToList();
            if (launcher is { } l) pods.Add(PodBuilder.Launcher(l, "gpu-worker-05"));
            var o = StatusCalculationTests.Gang([a, b, c], null) with { Pods = pods, NodeGpuMemoryMiB = _ => H200MiB };
            var s = WorkloadState.Of(o);
            var workers = pods.Count(p => !WorkloadIdentity.IsLauncher(p));
            Assert.True(s.PendingPods + s.RunningPods <= workers);
            Assert.True(s.AllocatedGpus <= s.RequestedGpus);
            Assert.Equal(s.AllocatedGpus.Value * H200MiB, s.AllocatedGpuMemoryMiB);
            Assert.Equal(s.UsedNodes.Order(StringComparer.Ordinal), s.UsedNodes);
            Assert.DoesNotContain("gpu-worker-05", s.UsedNodes);
            Assert.Equal(s.UsedNodes.Distinct().Count(), s.UsedNodes.Count);
            Assert.Equal(WorkloadState.Calculate(o), s.Status);
        }
    }

    internal static MpiJob SeedMpiJob()
    {
        var seed = KubeYaml.ReadObjectsFromFile(Path.Combine(RepoRoot(), "sim", "scenarios", "seed.yaml"));
        var job = seed.Single(o => (string?)o["kind"] == MpiJob.KubeKind);
        return KubernetesJson.Deserialize<MpiJob>(job.ToJsonString());
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Observability.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("the repository root (Observability.sln) is not above " + AppContext.BaseDirectory);
    }

    private static V1Node Node(Dictionary<string, string> labels) => new() { Metadata = new V1ObjectMeta { Name = "n", Labels = labels } };
}
