using System.Net.Sockets;
using Grpc.Net.Client;
using k8s;
using k8s.Models;
using Runai.Core.Resources;
using Runai.Sim.Kubelet;
using Runai.Sim.Kubelet.PodResources;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Operators;

/// <summary>
/// The kubelets, the default scheduler and the MPI operator stand-in against the real simulated API server,
/// through KubernetesClient only, on the seed scenario (8 nodes × 4 H200, the NCCL MPIJob).
/// </summary>
public sealed class SeedClusterWorkloadTests(SeedClusterFixture cluster) : IClassFixture<SeedClusterFixture>
{
    private const string MpiNamespace = "my-project";
    private IKubernetes Client => cluster.Client;

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, int seconds = 30) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await probe();
            if (value is not null) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(100);
        }
    }

    private static V1Pod NewPod(string name, string? schedulerName = null, int gpus = 0, string restartPolicy = "Never", params (string, string)[] annotations)
    {
        var limits = new Dictionary<string, ResourceQuantity>();
        if (gpus > 0) limits["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name, Annotations = annotations.ToDictionary(a => a.Item1, a => a.Item2) },
            Spec = new V1PodSpec
            {
                SchedulerName = schedulerName,
                RestartPolicy = restartPolicy,
                Containers = [new V1Container { Name = "main", Image = "busybox:1.36", Resources = new V1ResourceRequirements { Limits = limits } }],
            },
        };
    }

    [Fact]
    public async Task EveryNodeRegistersReadyWithItsGpusLabelsAndLease()
    {
        var nodes = await EventuallyAsync(async () =>
        {
            var list = await Client.CoreV1.ListNodeAsync();
            return list.Items.Count == 8 && list.Items.All(n => n.Status?.Capacity?.ContainsKey("nvidia.com/gpu") == true) ? list : null;
        }, "8 nodes report their status");

        var node = nodes.Items.Single(n => n.Name() == "gpu-worker-03");
        Assert.Equal("gpu-h200-pool", node.Metadata.Labels["runai/node-pool"]);
        Assert.Equal("NVIDIA-H200", node.Metadata.Labels["nvidia.com/gpu.product"]);
        Assert.Equal("4", node.Metadata.Labels["nvidia.com/gpu.count"]);
        Assert.Equal("75377", node.Metadata.Labels["nvidia.com/gpu.memory"]);
        Assert.Equal("gpu-worker-03", node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("4", node.Status.Allocatable["nvidia.com/gpu"].ToString());
        Assert.Equal("True", node.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Equal("False", node.Status.Conditions.Single(c => c.Type == "MemoryPressure").Status);
        Assert.StartsWith("v1.32.", node.Status.NodeInfo.KubeletVersion);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP" && a.Address == "10.0.0.3");

        var lease = await EventuallyAsync(async () =>
        {
            var leases = await Client.CoordinationV1.ListNamespacedLeaseAsync(KubeletFleet.LeaseNamespace);
            return leases.Items.FirstOrDefault(l => l.Name() == "gpu-worker-03");
        }, "gpu-worker-03 holds its lease");
        Assert.Equal("gpu-worker-03", lease.Spec.HolderIdentity);
        Assert.NotNull(lease.Spec.RenewTime);
    }

    [Fact]
    public async Task SeedMpiJobRunsWithWorkersOnTwoNodesAndTheLauncherAfterThem()
    {
        var job = await EventuallyAsync(async () =>
        {
            var obj = await Client.CustomObjects.GetNamespacedCustomObjectAsync<MpiJob>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, MpiNamespace, MpiJob.KubePluralName, "nccl-roce-validation");
            return obj.Status?.HasTrueCondition(MpiJobConditionTypes.Running) == true ? obj : null;
        }, "the seed MPIJob is Running", seconds: 45);

        Assert.True(job.Status!.HasTrueCondition(MpiJobConditionTypes.Created));
        Assert.Equal(2, job.Status.ReplicaStatuses![MpiReplicaTypes.Worker].Active);
        Assert.Equal(1, job.Status.ReplicaStatuses[MpiReplicaTypes.Launcher].Active);
        var pods = await Client.CoreV1.ListNamespacedPodAsync(MpiNamespace, labelSelector: "training.kubeflow.org/job-name=nccl-roce-validation");
        var workers = pods.Items.Where(p => p.Metadata.Labels["training.kubeflow.org/job-role"] == "worker").ToList();
        var launcher = pods.Items.Single(p => p.Name() == "nccl-roce-validation-launcher");
        Assert.Equal(2, workers.Count);
        Assert.Equal(2, workers.Select(w => w.Spec.NodeName).Distinct().Count());
        Assert.All(workers, w => Assert.Equal("Running", w.Status.Phase));
        Assert.Equal("Running", launcher.Status.Phase);
        // WaitForWorkersReady: the launcher was created after both workers were running.
        Assert.All(workers, w => Assert.True(w.Status.ContainerStatuses[0].State.Running.StartedAt <= launcher.Metadata.CreationTimestamp));
        var owner = Assert.Single(launcher.Metadata.OwnerReferences);
        Assert.Equal((job.Metadata.Uid, true), (owner.Uid, owner.Controller));

        // The worker's node reports the two GPUs it holds over the pod-resources API.
        var worker = workers[0];
        var response = await PodResourcesClient(worker.Spec.NodeName).GetAsync(new GetPodResourcesRequest { PodName = worker.Name(), PodNamespace = MpiNamespace });
        var devices = Assert.Single(Assert.Single(response.PodResources.Containers).Devices);
        Assert.Equal(2, devices.DeviceIds.Count);
        Assert.All(devices.DeviceIds, id => Assert.Contains(id, Enumerable.Range(0, 4).Select(i => GpuAllocator.UuidOf(worker.Spec.NodeName, i))));
    }

    private PodResourcesLister.PodResourcesListerClient PodResourcesClient(string node)
    {
        var socket = PodResourcesServer.SocketPath(cluster.Cluster.SocketDirectory, node);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        };
        return new PodResourcesLister.PodResourcesListerClient(GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler }));
    }

    [Fact]
    public async Task ShortPodIsScheduledRunsAndSucceeds()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("short-run", annotations: [(SimAnnotations.RunSeconds, "1"), (SimAnnotations.StartDelaySeconds, "0.2")]), "default");

        var pod = await EventuallyAsync(async () =>
        {
            var p = await Client.CoreV1.ReadNamespacedPodAsync("short-run", "default");
            return p.Status?.Phase == "Succeeded" ? p : null;
        }, "short-run succeeds");

        Assert.StartsWith("gpu-worker-0", pod.Spec.NodeName);
        Assert.Equal("True", pod.Status.Conditions.Single(c => c.Type == "PodScheduled").Status);
        Assert.Equal("Completed", pod.Status.ContainerStatuses[0].State.Terminated.Reason);
        Assert.NotNull(pod.Status.PodIP);
        Assert.NotNull(pod.Status.StartTime);
    }

    [Fact]
    public async Task FailingPodWithRestartPolicyAlwaysCrashLoops()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("crasher", restartPolicy: "Always",
            annotations: [(SimAnnotations.RunSeconds, "0.5"), (SimAnnotations.ExitCode, "1"), (SimAnnotations.StartDelaySeconds, "0.2")]), "default");

        var pod = await EventuallyAsync(async () =>
        {
            var p = await Client.CoreV1.ReadNamespacedPodAsync("crasher", "default");
            return p.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason == "CrashLoopBackOff" ? p : null;
        }, "crasher is in CrashLoopBackOff");

        Assert.Equal("Running", pod.Status.Phase);
        Assert.Equal((1, "Error"), (pod.Status.ContainerStatuses[0].LastState.Terminated.ExitCode, pod.Status.ContainerStatuses[0].LastState.Terminated.Reason));
        Assert.StartsWith("back-off 10s restarting failed container=main pod=crasher_default(", pod.Status.ContainerStatuses[0].State.Waiting.Message);
    }

    [Fact]
    public async Task PodAskingForMoreGpusThanAnyNodeHasIsUnschedulableWithAnEvent()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("too-big", gpus: 5), "default");

        var condition = await EventuallyAsync(async () =>
        {
            var p = await Client.CoreV1.ReadNamespacedPodAsync("too-big", "default");
            return p.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False");
        }, "too-big is marked unschedulable");
        var events = await EventuallyAsync(async () =>
        {
            var list = await Client.CoreV1.ListNamespacedEventAsync("default");
            return list.Items.FirstOrDefault(e => e.InvolvedObject?.Name == "too-big" && e.Reason == "FailedScheduling");
        }, "a FailedScheduling event is recorded");

        Assert.Equal("Unschedulable", condition.Reason);
        Assert.Equal("0/8 nodes are available: 8 Insufficient nvidia.com/gpu.", condition.Message);
        Assert.Equal("Warning", events.Type);
        Assert.Null((await Client.CoreV1.ReadNamespacedPodAsync("too-big", "default")).Spec.NodeName);
    }

    [Fact]
    public async Task PodForRunaiSchedulerIsLeftForIt()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("for-runai", schedulerName: "runai-scheduler"), "default");
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("for-default-marker", annotations: [(SimAnnotations.StartDelaySeconds, "0")]), "default");

        // Once a pod created after it is bound, the scheduler has had its chance at the first.
        await EventuallyAsync(async () => (await Client.CoreV1.ReadNamespacedPodAsync("for-default-marker", "default")).Spec.NodeName, "the marker pod is bound");

        Assert.Null((await Client.CoreV1.ReadNamespacedPodAsync("for-runai", "default")).Spec.NodeName);
    }

    [Fact]
    public async Task DeletedRunningPodIsTerminatedAndRemoved()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(NewPod("doomed", annotations: [(SimAnnotations.StartDelaySeconds, "0.1")]), "default");
        await EventuallyAsync(async () => (await Client.CoreV1.ReadNamespacedPodAsync("doomed", "default")).Status?.Phase == "Running" ? "running" : null, "doomed runs");

        await Client.CoreV1.DeleteNamespacedPodAsync("doomed", "default");

        await EventuallyAsync(async () =>
        {
            var list = await Client.CoreV1.ListNamespacedPodAsync("default", fieldSelector: "metadata.name=doomed");
            return list.Items.Count == 0 ? "gone" : null;
        }, "doomed is gone");
    }

    [Fact]
    public async Task MpiJobWhoseLauncherFinishesSucceedsAndCleansRunningWorkers()
    {
        var job = new MpiJob
        {
            Metadata = new V1ObjectMeta { Name = "quick", NamespaceProperty = MpiNamespace },
            Spec = new MpiJobSpec
            {
                SlotsPerWorker = 1,
                LauncherCreationPolicy = LauncherCreationPolicy.AtStartup,
                RunPolicy = new MpiRunPolicy { CleanPodPolicy = CleanPodPolicy.Running, BackoffLimit = 0 },
                MpiReplicaSpecs = new Dictionary<string, MpiReplicaSpec>
                {
                    [MpiReplicaTypes.Launcher] = new()
                    {
                        Replicas = 1,
                        Template = new V1PodTemplateSpec
                        {
                            Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [SimAnnotations.RunSeconds] = "1", [SimAnnotations.StartDelaySeconds] = "0.2" } },
                            Spec = new V1PodSpec { Containers = [new V1Container { Name = "launcher", Image = "mpi:latest" }] },
                        },
                    },
                    [MpiReplicaTypes.Worker] = new()
                    {
                        Replicas = 1,
                        Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "worker", Image = "mpi:latest" }] } },
                    },
                },
            },
        };
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(job, MpiJob.KubeGroup, MpiJob.KubeApiVersion, MpiNamespace, MpiJob.KubePluralName);

        var done = await EventuallyAsync(async () =>
        {
            var obj = await Client.CustomObjects.GetNamespacedCustomObjectAsync<MpiJob>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, MpiNamespace, MpiJob.KubePluralName, "quick");
            return obj.Status?.HasTrueCondition(MpiJobConditionTypes.Succeeded) == true ? obj : null;
        }, "the quick MPIJob succeeds");
        var remaining = await EventuallyAsync(async () =>
        {
            var list = await Client.CoreV1.ListNamespacedPodAsync(MpiNamespace, labelSelector: "training.kubeflow.org/job-name=quick");
            return list.Items.Count == 1 ? list : null;
        }, "the running worker is cleaned up");

        Assert.Equal("MPIJobSucceeded", done.Status!.Conditions!.Single(c => c.Type == MpiJobConditionTypes.Succeeded).Reason);
        Assert.NotNull(done.Status.CompletionTime);
        Assert.Equal("quick-launcher", Assert.Single(remaining.Items).Name());
    }
}
