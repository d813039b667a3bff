using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Sim.Operators.Internal;

namespace Runai.Sim.Kubelet;

/// <summary>
/// The kubelets of all simulated nodes, as ordinary API clients: each registers its Node, renews its Lease in
/// <c>kube-node-lease</c>, reports Ready, and runs the pods bound to it (one shared pod watch for the fleet),
/// allocating whole GPUs like the NVIDIA device plugin and serving the pod-resources gRPC API per node.
/// </summary>
internal sealed class KubeletFleet
{
    public const string LeaseNamespace = "kube-node-lease";
    public const string KubeletVersion = "v1.32.4";
    public static readonly TimeSpan LeaseRenewInterval = TimeSpan.FromSeconds(10);
    public const int LeaseDurationSeconds = 40;
    public static readonly TimeSpan NodeStatusInterval = TimeSpan.FromSeconds(60);

    private readonly IKubernetes client;
    private readonly string socketDirectory;
    private readonly ILoggerFactory loggers;
    private readonly ILogger log;
    private readonly TimeProvider time;
    private readonly Dictionary<string, NodeAgent> agents;
    private readonly Signal podsChanged = new();
    private readonly Signal nodesChanged = new();
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ProcessRuntime? processes;
    private readonly Dictionary<string, string> processStatusWritten = new(StringComparer.Ordinal);

    public KubeletFleet(IKubernetes client, IReadOnlyList<SimNodeSpec> nodes, string socketDirectory, ILoggerFactory loggers, TimeProvider? time = null,
        ProcessRuntime? processes = null)
    {
        this.processes = processes;
        if (processes is not null) processes.Changed += podsChanged.Pulse;
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(socketDirectory);
        var duplicate = nodes.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"node {duplicate.Key} is listed {duplicate.Count()} times", nameof(nodes));
        this.client = client;
        this.socketDirectory = socketDirectory;
        this.loggers = loggers;
        this.time = time ?? TimeProvider.System;
        log = loggers.CreateLogger<KubeletFleet>();
        agents = nodes.Select((spec, i) => new NodeAgent(spec, i, NvmlDeviceFile.PathOf(socketDirectory, spec.Name))).ToDictionary(a => a.Spec.Name);
    }

    /// <summary>Completes once every Node is registered and the pod-resources sockets listen.</summary>
    public Task Started => started.Task;

    public string SocketPath(string node) => PodResourcesServer.SocketPath(socketDirectory, node);

    public IReadOnlyList<GpuDevice> DevicesOf(string node) => Agent(node).Allocator.Devices;

    /// <summary>Makes a node report Ready=True or False (fault injection); its pods then stay as they are.</summary>
    public void SetNodeReady(string node, bool ready)
    {
        var agent = Agent(node);
        if (agent.Ready == ready) return;
        agent.Ready = ready;
        agent.ReadyTransition = time.GetUtcNow();
        log.LogInformation("Node {Node} now reports Ready={Ready}", node, ready);
        nodesChanged.Pulse();
        podsChanged.Pulse();
    }

    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            log.LogDebug("Registering {Count} nodes", agents.Count);
            await Task.WhenAll(agents.Values.Select(a => RegisterAsync(a, ct))).ConfigureAwait(false);
            foreach (var agent in agents.Values) agent.WriteDevices();
            await using var server = new PodResourcesServer(agents.Values.ToList(), socketDirectory, loggers);
            await server.StartAsync(ct).ConfigureAwait(false);
            started.TrySetResult();

            var pods = new Informer<V1Pod>(Sources.Pods(client), podsChanged, time, loggers.CreateLogger("Runai.Sim.Kubelet.PodInformer"));
            await Task.WhenAll(
                pods.RunAsync(ct),
                RenewLeasesAsync(ct),
                ReportNodeStatusAsync(ct),
                RunPodsAsync(pods, ct)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            started.TrySetCanceled(ct);
        }
    }

    private NodeAgent Agent(string node) =>
        agents.TryGetValue(node, out var agent) ? agent : throw new ArgumentException($"no simulated node named {node}", nameof(node));

    // ---- Node registration and heartbeat ----

    private async Task RegisterAsync(NodeAgent agent, CancellationToken ct)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
        while (true)
        {
            try
            {
                var node = NodeObject(agent);
                log.LogDebug("Creating node {Node}", agent.Spec.Name);
                try
                {
                    var created = await client.CoreV1.CreateNodeAsync(node, cancellationToken: ct).ConfigureAwait(false);
                    agent.NodeUid = created.Metadata?.Uid;
                    log.LogInformation("Registered node {Node} ({Gpus} GPUs, pool {Pool})", agent.Spec.Name, agent.Spec.Gpus, agent.Spec.Pool);
                }
                catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.Conflict))
                {
                    // Registered by an earlier run: bring labels up to date, as a restarted kubelet does.
                    var patch = new V1Patch(new { metadata = new { labels = node.Metadata.Labels } }, V1Patch.PatchType.MergePatch);
                    var patched = await client.CoreV1.PatchNodeAsync(patch, agent.Spec.Name, cancellationToken: ct).ConfigureAwait(false);
                    agent.NodeUid = patched.Metadata?.Uid;
                    log.LogInformation("Node {Node} was already registered; labels updated", agent.Spec.Name);
                }
                log.LogDebug("Node {Node} created; reporting its status", agent.Spec.Name);
                await PatchNodeStatusAsync(agent, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                var delay = backoff.NextDelay();
                log.LogWarning("Registering node {Node} failed ({Error}); retrying in {Delay} ms", agent.Spec.Name, ApiCalls.Describe(e), (int)delay.TotalMilliseconds);
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
        }
    }

    private Task PatchNodeStatusAsync(NodeAgent agent, CancellationToken ct) =>
        client.CoreV1.PatchNodeStatusAsync(new V1Patch(new { status = NodeStatus(agent) }, V1Patch.PatchType.MergePatch), agent.Spec.Name, cancellationToken: ct);

    private async Task ReportNodeStatusAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await nodesChanged.WaitAsync(NodeStatusInterval, time, ct).ConfigureAwait(false);
            foreach (var agent in agents.Values)
            {
                try
                {
                    await ApiCalls.RetryAsync(c => PatchNodeStatusAsync(agent, c), $"status of node {agent.Spec.Name}", log, time, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    log.LogWarning("Reporting status of node {Node} failed: {Error}", agent.Spec.Name, ApiCalls.Describe(e));
                }
            }
        }
    }

    private async Task RenewLeasesAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var agent in agents.Values)
            {
                try
                {
                    await RenewLeaseAsync(agent, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    agent.Lease = null;
                    log.LogWarning("Renewing the lease of node {Node} failed: {Error}", agent.Spec.Name, ApiCalls.Describe(e));
                }
            }
            await Task.Delay(LeaseRenewInterval, time, ct).ConfigureAwait(false);
        }
    }

    private async Task RenewLeaseAsync(NodeAgent agent, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var name = agent.Spec.Name;
        if (agent.Lease is { } cached)
        {
            cached.Spec.RenewTime = now;
            try
            {
                agent.Lease = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(cached, name, LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.Conflict) || ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
            {
                agent.Lease = null;
            }
        }

        try
        {
            var existing = await client.CoordinationV1.ReadNamespacedLeaseAsync(name, LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
            existing.Spec.HolderIdentity = name;
            existing.Spec.LeaseDurationSeconds = LeaseDurationSeconds;
            existing.Spec.RenewTime = now;
            agent.Lease = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, name, LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
        {
            var lease = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = LeaseNamespace, OwnerReferences = agent.NodeUid is { } uid ? [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = name, Uid = uid }] : null },
                Spec = new V1LeaseSpec { HolderIdentity = name, LeaseDurationSeconds = LeaseDurationSeconds, RenewTime = now },
            };
            try
            {
                agent.Lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception missing) when (ApiCalls.IsStatus(missing, HttpStatusCode.NotFound))
            {
                // The namespace is the API server's to create; create it if a bare server lacks it.
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = LeaseNamespace } }, cancellationToken: ct).ConfigureAwait(false);
                agent.Lease = await client.CoordinationV1.CreateNamespacedLeaseAsync(lease, LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
            }
        }
    }

    private V1Node NodeObject(NodeAgent agent)
    {
        var spec = agent.Spec;
        var labels = new Dictionary<string, string>
        {
            ["kubernetes.io/hostname"] = spec.Name,
            ["kubernetes.io/os"] = "linux",
            ["kubernetes.io/arch"] = "amd64",
            ["beta.kubernetes.io/os"] = "linux",
            ["beta.kubernetes.io/arch"] = "amd64",
            ["runai/node-pool"] = spec.Pool,
        };
        if (spec.Gpus > 0)
        {
            labels["nvidia.com/gpu.product"] = spec.GpuProduct;
            labels["nvidia.com/gpu.count"] = spec.Gpus.ToString(CultureInfo.InvariantCulture);
            labels["nvidia.com/gpu.memory"] = spec.GpuMemoryMiB.ToString(CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in spec.Labels) labels[key] = value;
        return new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = new V1ObjectMeta
            {
                Name = spec.Name,
                Labels = labels,
                Annotations = new Dictionary<string, string> { ["node.alpha.kubernetes.io/ttl"] = "0", ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true" },
            },
            Spec = new V1NodeSpec { PodCIDR = agent.PodCidr, PodCIDRs = [agent.PodCidr] },
            Status = NodeStatus(agent),
        };
    }

    private V1NodeStatus NodeStatus(NodeAgent agent)
    {
        var spec = agent.Spec;
        var now = PodLifecycle.Second(time.GetUtcNow()).UtcDateTime;
        var registered = PodLifecycle.Second(agent.RegisteredAt ??= time.GetUtcNow()).UtcDateTime;
        var readyTransition = PodLifecycle.Second(agent.ReadyTransition ?? agent.RegisteredAt.Value).UtcDateTime;
        var resources = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(spec.Cpu),
            ["memory"] = new(spec.Memory),
            ["pods"] = new(spec.MaxPods.ToString(CultureInfo.InvariantCulture)),
            ["ephemeral-storage"] = new("500Gi"),
        };
        if (spec.Gpus > 0) resources[GpuAllocator.ResourceName] = new(spec.Gpus.ToString(CultureInfo.InvariantCulture));
        V1NodeCondition Pressure(string type, string reason, string message) =>
            new() { Type = type, Status = "False", Reason = reason, Message = message, LastHeartbeatTime = now, LastTransitionTime = registered };
        return new V1NodeStatus
        {
            Capacity = resources,
            Allocatable = new Dictionary<string, ResourceQuantity>(resources),
            Conditions =
            [
                Pressure("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Pressure("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                Pressure("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                agent.Ready
                    ? new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = readyTransition }
                    : new V1NodeCondition
                    {
                        Type = "Ready", Status = "False", Reason = "KubeletNotReady",
                        Message = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized",
                        LastHeartbeatTime = now, LastTransitionTime = readyTransition,
                    },
            ],
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = agent.HostIP }, new V1NodeAddress { Type = "Hostname", Address = spec.Name }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = 10250 } },
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = "amd64",
                OperatingSystem = "linux",
                OsImage = "Ubuntu 22.04.5 LTS",
                KernelVersion = "5.15.0-136-generic",
                ContainerRuntimeVersion = "containerd://1.7.27",
                KubeletVersion = KubeletVersion,
                KubeProxyVersion = KubeletVersion,
                MachineID = Hex($"machine/{spec.Name}")[..32],
                SystemUUID = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"system/{spec.Name}")).AsSpan(0, 16)).ToString("D"),
                BootID = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"boot/{spec.Name}/{registered:O}")).AsSpan(0, 16)).ToString("D"),
            },
        };
    }

    private static string Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // ---- Pods ----

    private async Task RunPodsAsync(Informer<V1Pod> pods, CancellationToken ct)
    {
        await pods.Synced.WaitAsync(ct).ConfigureAwait(false);
        DateTimeOffset? wake = null;
        while (!ct.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            DateTimeOffset? next = null;
            var seen = new HashSet<string>();
            foreach (var pod in pods.Items.OrderBy(p => p.Metadata?.CreationTimestamp))
            {
                if (pod.Spec?.NodeName is not { } nodeName || !agents.TryGetValue(nodeName, out var agent)) continue;
                if (pod.Metadata?.Uid is { } uid) seen.Add(uid);
                var wakeAt = await HandlePodAsync(pods, agent, pod, now, ct).ConfigureAwait(false);
                if (wakeAt is { } w && (next is null || w < next)) next = w;
            }
            foreach (var agent in agents.Values) agent.ReleaseMissing(seen);
            processes?.StopMissing(seen);

            wake = next;
            var timeout = wake is { } at ? at - time.GetUtcNow() : (TimeSpan?)null;
            if (timeout is { } t && t < TimeSpan.Zero) timeout = TimeSpan.Zero;
            await podsChanged.WaitAsync(timeout, time, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Takes one lifecycle step for a pod; answers when to look again.</summary>
    private async Task<DateTimeOffset?> HandlePodAsync(Informer<V1Pod> pods, NodeAgent agent, V1Pod pod, DateTimeOffset now, CancellationToken ct)
    {
        var name = $"{pod.Namespace()}/{pod.Name()}";
        var placement = new PodPlacement(agent.Ready, agent.HostIP, agent.PodIPOf(pod));
        try
        {
            if (agent.Ready && pod.Metadata?.DeletionTimestamp is null && !PodLifecycle.IsTerminal(pod.Status?.Phase))
            {
                string? error;
                try { error = agent.Allocate(pod); }
                catch (FormatException e) { error = e.Message; }
                if (error is not null)
                {
                    log.LogWarning("Node {Node} rejects pod {Pod}: {Error}", agent.Spec.Name, name, error);
                    await WriteStatusAsync(pods, pod, PodLifecycle.Rejected(pod, placement, "UnexpectedAdmissionError", error, now), ct).ConfigureAwait(false);
                    return null;
                }
            }

            if (processes is not null && processes.Runs(pod))
            {
                return await HandleProcessPodAsync(pods, agent, pod, now, ct).ConfigureAwait(false);
            }

            var step = PodLifecycle.Next(pod, placement, now);
            if (step.Status is not null)
            {
                if (!await WriteStatusAsync(pods, pod, step.Status, ct).ConfigureAwait(false)) return null;
                if (PodLifecycle.IsTerminal(step.Status.Phase)) agent.Release(pod.Metadata!.Uid);
                var level = step.Transition is "Admitted" ? LogLevel.Debug : LogLevel.Information;
                log.Log(level, "Pod {Pod} on {Node}: {Transition}", name, agent.Spec.Name, step.Transition);
            }
            if (step.Delete)
            {
                try
                {
                    await ApiCalls.RetryAsync(c => client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(),
                        new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = pod.Metadata?.Uid } }, cancellationToken: c),
                        $"delete of pod {name}", log, time, ct).ConfigureAwait(false);
                    log.LogInformation("Pod {Pod} on {Node} terminated and removed", name, agent.Spec.Name);
                }
                catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound) || ApiCalls.IsStatus(e, HttpStatusCode.Conflict))
                {
                }
                agent.Release(pod.Metadata!.Uid);
                pods.Forget($"{pod.Namespace()}/{pod.Name()}");
                return null;
            }
            return step.WakeAt;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Handling pod {Pod} on {Node} failed ({Error}); trying again shortly", name, agent.Spec.Name, ApiCalls.Describe(e));
            return now + TimeSpan.FromSeconds(2);
        }
    }

    /// <summary>
    /// A pod whose containers run as real processes (<see cref="ProcessRuntime"/>): the status follows the processes,
    /// the real ports go on the pod (<see cref="PodPorts"/>), and deletion waits for the processes to end.
    /// </summary>
    private async Task<DateTimeOffset?> HandleProcessPodAsync(Informer<V1Pod> pods, NodeAgent agent, V1Pod pod, DateTimeOffset now, CancellationToken ct)
    {
        var runtime = processes!;
        var name = $"{pod.Namespace()}/{pod.Name()}";
        var uid = pod.Metadata!.Uid;
        var placement = new PodPlacement(agent.Ready, agent.HostIP, PodPorts.LoopbackIp);
        if (!agent.Ready) return null;
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            var grace = TimeSpan.FromSeconds(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30);
            var (done, views) = runtime.Stop(pod, grace, now);
            if (!done) return now + TimeSpan.FromSeconds(1);
            if (!PodLifecycle.IsTerminal(pod.Status?.Phase) && pod.Status?.StartTime is not null)
            {
                await WriteStatusAsync(pods, pod, ProcessPodStatus.Build(pod, placement, views, now), ct).ConfigureAwait(false);
            }

            try
            {
                await ApiCalls.RetryAsync(c => client.CoreV1.DeleteNamespacedPodAsync(pod.Name(), pod.Namespace(),
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = uid } }, cancellationToken: c),
                    $"delete of pod {name}", log, time, ct).ConfigureAwait(false);
                log.LogInformation("Pod {Pod} on {Node}: processes stopped, pod removed", name, agent.Spec.Name);
            }
            catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound) || ApiCalls.IsStatus(e, HttpStatusCode.Conflict))
            {
            }

            runtime.Forget(uid);
            processStatusWritten.Remove(uid);
            agent.Release(uid);
            pods.Forget(name);
            return null;
        }

        if (PodLifecycle.IsTerminal(pod.Status?.Phase)) return null;

        var state = await runtime.SyncAsync(pod, client, now, ct).ConfigureAwait(false);
        if (state.Ports.Count > 0)
        {
            var text = PodPorts.Format(state.Ports);
            if (pod.Metadata.Annotations is null || !pod.Metadata.Annotations.TryGetValue(PodPorts.Annotation, out var recorded) || recorded != text)
            {
                var patch = new V1Patch(new { metadata = new { annotations = new Dictionary<string, string> { [PodPorts.Annotation] = text } } }, V1Patch.PatchType.MergePatch);
                pods.Observe(await client.CoreV1.PatchNamespacedPodAsync(patch, pod.Name(), pod.Namespace(), cancellationToken: ct).ConfigureAwait(false));
            }
        }

        var status = ProcessPodStatus.Build(pod, placement, state.Containers, now);
        var json = KubernetesJson.Serialize(status);
        if (processStatusWritten.GetValueOrDefault(uid) != json)
        {
            if (!await WriteStatusAsync(pods, pod, status, ct).ConfigureAwait(false)) return null;
            processStatusWritten[uid] = json;
            var summary = string.Join(", ", state.Containers.Select(c => $"{c.Name} {(c.RunningSince is not null ? c.Ready ? "ready" : "running" : c.Terminated is { } t ? $"exited {t.ExitCode}" : c.WaitingReason)}"));
            log.LogInformation("Pod {Pod} on {Node}: {Phase} ({Containers})", name, agent.Spec.Name, status.Phase, summary);
            if (PodLifecycle.IsTerminal(status.Phase)) agent.Release(uid);
        }

        return state.WakeAt;
    }

    /// <summary>Writes a pod's status through <c>/status</c>; false when the pod is gone.</summary>
    private async Task<bool> WriteStatusAsync(Informer<V1Pod> pods, V1Pod pod, V1PodStatus status, CancellationToken ct)
    {
        try
        {
            var written = await ApiCalls.RetryAsync(c => client.CoreV1.PatchNamespacedPodStatusAsync(
                new V1Patch(new { status }, V1Patch.PatchType.MergePatch), pod.Name(), pod.Namespace(), cancellationToken: c),
                $"status of pod {pod.Namespace()}/{pod.Name()}", log, time, ct).ConfigureAwait(false);
            pods.Observe(written);
            return true;
        }
        catch (Exception e) when (ApiCalls.IsStatus(e, HttpStatusCode.NotFound))
        {
            pods.Forget($"{pod.Namespace()}/{pod.Name()}");
            return false;
        }
    }

    /// <summary>One node's kubelet state: its spec, readiness and device allocations.</summary>
    private sealed class NodeAgent(SimNodeSpec spec, int index, string deviceFile) : INodeResources
    {
        private readonly object gate = new();
        private readonly Dictionary<string, V1Pod> admitted = new();

        public SimNodeSpec Spec { get; } = spec;
        public GpuAllocator Allocator { get; } = new(spec.Name, spec.Gpus);
        public volatile bool Ready = spec.Ready;
        public DateTimeOffset? RegisteredAt;
        public DateTimeOffset? ReadyTransition;
        public V1Lease? Lease;
        public string? NodeUid;
        public string HostIP { get; } = $"10.0.{(index + 1) / 256}.{(index + 1) % 256}";
        public string PodCidr { get; } = $"10.244.{index % 256}.0/24";

        public string NodeName => Spec.Name;
        public IReadOnlyList<GpuDevice> Gpus => Allocator.Devices;
        public int CpuCount => (int)Math.Ceiling(new ResourceQuantity(Spec.Cpu).ToDecimal());

        public string PodIPOf(V1Pod pod)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(pod.Metadata?.Uid ?? pod.Name()));
            return $"10.244.{index % 256}.{2 + hash[0] % 250}";
        }

        /// <summary>Admits a pod: records it and gives it its GPUs. Answers the admission error, if any.</summary>
        public string? Allocate(V1Pod pod)
        {
            lock (gate)
            {
                var fresh = Allocator.Of(pod.Metadata!.Uid) is null;
                var (devices, error) = Allocator.Allocate(pod);
                if (error is null) admitted[pod.Metadata!.Uid] = pod;
                if (fresh && devices is not null) WriteDevices();
                return error;
            }
        }

        public void Release(string uid)
        {
            lock (gate)
            {
                if (Allocator.Release(uid)) WriteDevices();
                admitted.Remove(uid);
            }
        }

        public void ReleaseMissing(HashSet<string> present)
        {
            lock (gate)
            {
                foreach (var uid in admitted.Keys.Where(u => !present.Contains(u)).ToList()) Release(uid);
            }
        }

        /// <summary>Writes the node's driver file for the NVML test library: its GPUs, busy where held.</summary>
        public void WriteDevices()
        {
            if (Spec.Gpus == 0) return;
            lock (gate)
            {
                var held = Allocator.Allocations.SelectMany(a => a.Containers.Values.SelectMany(ids => ids)).ToHashSet();
                NvmlDeviceFile.Write(deviceFile, NvmlDeviceFile.Render(Spec, Allocator.Devices, held));
            }
        }

        public IReadOnlyList<(string Namespace, string Name, IReadOnlyList<string> Containers, PodDevices? Devices)> ActivePods()
        {
            lock (gate)
            {
                return admitted.Values
                    .Select(p => (p.Namespace(), p.Name(), (IReadOnlyList<string>)(p.Spec?.Containers ?? []).Select(c => c.Name).ToList(), Allocator.Of(p.Metadata!.Uid)))
                    .ToList();
            }
        }
    }
}
