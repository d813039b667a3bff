using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace Runai.Sim.Kubelet;

/// <summary>Where a pod runs, as its kubelet knows it.</summary>
internal sealed record PodPlacement(bool NodeReady, string HostIP, string PodIP);

/// <summary>
/// One step of a pod's life: the status to write (null: none), when to look at the pod again (null: only when
/// it changes), and whether to delete it for good afterwards (a terminated pod that is being deleted).
/// </summary>
internal sealed record PodStep(V1PodStatus? Status, DateTimeOffset? WakeAt, bool Delete, string? Transition = null)
{
    public static readonly PodStep Idle = new(null, null, false);
}

/// <summary>
/// The kubelet's decision for one pod, as a pure function of the pod (its spec, simulation annotations and the
/// status the kubelet last wrote) and the time: Pending (ContainerCreating) → Running → exit, then per
/// restartPolicy either a terminal phase or CrashLoopBackOff and a restart. The kubelet keeps no state of its
/// own, so a restarted kubelet carries on from what the API server holds, as a real one does.
/// All containers of a pod share the pod's simulated behaviour.
/// </summary>
internal static class PodLifecycle
{
    public const string ContainerCreating = "ContainerCreating";
    public const string CrashLoopBackOff = "CrashLoopBackOff";
    public const int OomExitCode = 137;
    public const int SigtermExitCode = 143;
    public static readonly TimeSpan InitialCrashLoopDelay = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxCrashLoopDelay = TimeSpan.FromSeconds(300);

    /// <summary>The kubelet's restart back-off after a container has been restarted <paramref name="restartCount"/> times: 10 s, 20 s, 40 s, … 300 s.</summary>
    public static TimeSpan CrashLoopDelay(int restartCount) =>
        TimeSpan.FromSeconds(Math.Min(MaxCrashLoopDelay.TotalSeconds, InitialCrashLoopDelay.TotalSeconds * Math.Pow(2, Math.Min(restartCount, 16))));

    public static PodStep Next(V1Pod pod, PodPlacement placement, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(pod.Spec?.NodeName)) return PodStep.Idle;
        var status = pod.Status;
        var terminal = IsTerminal(status?.Phase);

        // A node that is not Ready cannot act: its pods stay as they are, deleted or not.
        if (!placement.NodeReady) return PodStep.Idle;
        if (pod.Metadata?.DeletionTimestamp is not null)
        {
            return terminal ? new PodStep(null, null, true, "Deleted") : new PodStep(Killed(pod, placement, now), null, true, "Killed");
        }
        if (terminal) return PodStep.Idle;

        PodBehaviour behaviour;
        try
        {
            behaviour = PodBehaviour.Read(pod);
        }
        catch (FormatException e)
        {
            return new PodStep(Rejected(pod, placement, "SimAnnotationInvalid", e.Message, now), null, false, "Rejected");
        }

        var first = status?.ContainerStatuses?.FirstOrDefault();
        // A pod without containers (the API refuses those, but a kubelet must not loop on one) has nothing to run.
        if (first is null && status?.StartTime is not null) return PodStep.Idle;
        if (status?.StartTime is null || first is null)
        {
            return new PodStep(Admitted(pod, placement, now), Second(now) + behaviour.StartDelay, false, "Admitted");
        }

        var state = first.State;
        if (state?.Waiting?.Reason == ContainerCreating)
        {
            var startAt = Utc(status.StartTime.Value) + behaviour.StartDelay;
            return now < startAt
                ? new PodStep(null, startAt, false)
                : Started(pod, placement, 0, null, behaviour, now);
        }
        if (state?.Running?.StartedAt is { } startedAtTime)
        {
            var startedAt = Utc(startedAtTime);
            var exit = ExitOf(behaviour, startedAt);
            if (exit is null) return PodStep.Idle;
            return now < exit.Value.At
                ? new PodStep(null, exit.Value.At, false)
                : Exited(pod, placement, first.RestartCount, startedAt, exit.Value, now);
        }
        if (state?.Waiting?.Reason == CrashLoopBackOff)
        {
            var finished = first.LastState?.Terminated?.FinishedAt is { } f ? Utc(f) : Second(now);
            var restartAt = finished + CrashLoopDelay(first.RestartCount);
            return now < restartAt
                ? new PodStep(null, restartAt, false)
                : Started(pod, placement, first.RestartCount + 1, first.LastState, behaviour, now);
        }
        // A state this kubelet never writes: leave it alone rather than guess.
        return PodStep.Idle;
    }

    /// <summary>The status of a pod the kubelet refuses to run (e.g. UnexpectedAdmissionError when devices are short).</summary>
    public static V1PodStatus Rejected(V1Pod pod, PodPlacement placement, string reason, string message, DateTimeOffset now) => new()
    {
        Phase = "Failed",
        Reason = reason,
        Message = message,
        HostIP = placement.HostIP,
        HostIPs = [new V1HostIP { Ip = placement.HostIP }],
        StartTime = pod.Status?.StartTime ?? Second(now).UtcDateTime,
        Conditions = Conditions(pod, now, containersReady: false, readyToStart: false, notReadyReason: "PodCompleted"),
        ContainerStatuses = pod.Status?.ContainerStatuses,
    };

    public static bool IsTerminal(string? phase) => phase is "Succeeded" or "Failed";

    private readonly record struct Exit(DateTimeOffset At, int ExitCode, string Reason);

    private static Exit? ExitOf(PodBehaviour behaviour, DateTimeOffset startedAt)
    {
        Exit? run = behaviour.RunFor is { } r
            ? new Exit(startedAt + r, behaviour.ExitCode, behaviour.ExitCode == 0 ? "Completed" : "Error")
            : null;
        Exit? oom = behaviour.OomAfter is { } o ? new Exit(startedAt + o, OomExitCode, "OOMKilled") : null;
        if (run is null) return oom;
        if (oom is null) return run;
        return oom.Value.At <= run.Value.At ? oom : run;
    }

    private static V1PodStatus Admitted(V1Pod pod, PodPlacement placement, DateTimeOffset now) => new()
    {
        Phase = "Pending",
        HostIP = placement.HostIP,
        HostIPs = [new V1HostIP { Ip = placement.HostIP }],
        StartTime = Second(now).UtcDateTime,
        QosClass = pod.Status?.QosClass,
        Conditions = Conditions(pod, now, containersReady: false, readyToStart: false, notReadyReason: "ContainersNotReady"),
        ContainerStatuses = Containers(pod).Select(c => new V1ContainerStatus
        {
            Name = c.Name,
            Image = c.Image,
            ImageID = "",
            Ready = false,
            Started = false,
            RestartCount = 0,
            State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = ContainerCreating } },
        }).ToList(),
    };

    private static PodStep Started(V1Pod pod, PodPlacement placement, int restartCount, V1ContainerState? lastState, PodBehaviour behaviour, DateTimeOffset now)
    {
        var startedAt = Second(now);
        var status = Carry(pod, placement, "Running");
        status.PodIP = placement.PodIP;
        status.PodIPs = [new V1PodIP { Ip = placement.PodIP }];
        status.Conditions = Conditions(pod, now, containersReady: true, readyToStart: true, notReadyReason: null);
        status.ContainerStatuses = Containers(pod).Select(c => ContainerStatus(pod, c, restartCount, running: true,
            new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt.UtcDateTime } },
            lastState)).ToList();
        var exit = ExitOf(behaviour, startedAt);
        return new PodStep(status, exit?.At, false, restartCount == 0 ? "Running" : "Restarted");
    }

    private static PodStep Exited(V1Pod pod, PodPlacement placement, int restartCount, DateTimeOffset startedAt, Exit exit, DateTimeOffset now)
    {
        var policy = pod.Spec?.RestartPolicy ?? "Always";
        var restart = policy switch
        {
            "Never" => false,
            "OnFailure" => exit.ExitCode != 0,
            _ => true,
        };
        // The kubelet may notice late; the process ended when the simulation says it did.
        var finishedAt = Second(exit.At > now ? now : exit.At);
        V1ContainerState Terminated(string container) => new()
        {
            Terminated = new V1ContainerStateTerminated
            {
                ExitCode = exit.ExitCode,
                Reason = exit.Reason,
                StartedAt = startedAt.UtcDateTime,
                FinishedAt = finishedAt.UtcDateTime,
                ContainerID = ContainerId(pod, container, restartCount),
            },
        };

        if (restart)
        {
            var delay = CrashLoopDelay(restartCount);
            var status = Carry(pod, placement, "Running");
            status.Conditions = Conditions(pod, now, containersReady: false, readyToStart: true, notReadyReason: "ContainersNotReady");
            status.ContainerStatuses = Containers(pod).Select(c => ContainerStatus(pod, c, restartCount, running: false,
                new V1ContainerState
                {
                    Waiting = new V1ContainerStateWaiting
                    {
                        Reason = CrashLoopBackOff,
                        Message = $"back-off {(int)delay.TotalSeconds}s restarting failed container={c.Name} pod={pod.Metadata?.Name}_{pod.Metadata?.NamespaceProperty}({pod.Metadata?.Uid})",
                    },
                },
                Terminated(c.Name))).ToList();
            return new PodStep(status, finishedAt + delay, false, CrashLoopBackOff);
        }

        var phase = exit.ExitCode == 0 ? "Succeeded" : "Failed";
        var final = Carry(pod, placement, phase);
        final.Conditions = Conditions(pod, now, containersReady: false, readyToStart: false, notReadyReason: "PodCompleted");
        final.ContainerStatuses = Containers(pod).Select(c => ContainerStatus(pod, c, restartCount, running: false,
            Terminated(c.Name),
            pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == c.Name)?.LastState)).ToList();
        return new PodStep(final, null, false, phase);
    }

    /// <summary>A pod being deleted: its containers get SIGTERM and end with 143 (a process that does not trap it).</summary>
    /// <summary>A started container's status: running (and ready) or stopped, in the given state.</summary>
    private static V1ContainerStatus ContainerStatus(V1Pod pod, V1Container c, int restartCount, bool running,
        V1ContainerState state, V1ContainerState? lastState) => new()
    {
        Name = c.Name,
        Image = c.Image,
        ImageID = ImageId(c.Image),
        ContainerID = ContainerId(pod, c.Name, restartCount),
        Ready = running,
        Started = running,
        RestartCount = restartCount,
        State = state,
        LastState = lastState ?? new V1ContainerState(),
    };

    private static V1PodStatus Killed(V1Pod pod, PodPlacement placement, DateTimeOffset now)
    {
        var status = Carry(pod, placement, "Failed");
        status.Conditions = Conditions(pod, now, containersReady: false, readyToStart: false, notReadyReason: "PodCompleted");
        var previous = pod.Status?.ContainerStatuses ?? [];
        status.ContainerStatuses = Containers(pod).Select(c =>
        {
            var old = previous.FirstOrDefault(s => s.Name == c.Name);
            var restartCount = old?.RestartCount ?? 0;
            return new V1ContainerStatus
            {
                Name = c.Name,
                Image = c.Image,
                ImageID = old?.ImageID ?? "",
                ContainerID = old?.ContainerID,
                Ready = false,
                Started = false,
                RestartCount = restartCount,
                State = new V1ContainerState
                {
                    Terminated = new V1ContainerStateTerminated
                    {
                        ExitCode = SigtermExitCode,
                        Reason = "Error",
                        StartedAt = old?.State?.Running?.StartedAt,
                        FinishedAt = Second(now).UtcDateTime,
                        ContainerID = old?.ContainerID,
                    },
                },
                LastState = old?.LastState ?? new V1ContainerState(),
            };
        }).ToList();
        return status;
    }

    /// <summary>The fields every later status keeps from the admitted one.</summary>
    private static V1PodStatus Carry(V1Pod pod, PodPlacement placement, string phase) => new()
    {
        Phase = phase,
        HostIP = placement.HostIP,
        HostIPs = [new V1HostIP { Ip = placement.HostIP }],
        PodIP = pod.Status?.PodIP ?? placement.PodIP,
        PodIPs = [new V1PodIP { Ip = pod.Status?.PodIP ?? placement.PodIP }],
        StartTime = pod.Status?.StartTime,
        QosClass = pod.Status?.QosClass,
    };

    internal static IList<V1PodCondition> Conditions(V1Pod pod, DateTimeOffset now, bool containersReady, bool readyToStart, string? notReadyReason)
    {
        var old = pod.Status?.Conditions ?? [];
        var unready = string.Join(' ', Containers(pod).Select(c => c.Name));
        var notReadyMessage = notReadyReason == "ContainersNotReady" ? $"containers with unready status: [{unready}]" : null;
        V1PodCondition Make(string type, bool value, string? reason = null, string? message = null)
        {
            var status = value ? "True" : "False";
            var previous = old.FirstOrDefault(c => c.Type == type);
            return new V1PodCondition
            {
                Type = type,
                Status = status,
                Reason = value ? null : reason,
                Message = value ? null : message,
                LastProbeTime = null,
                // A condition's transition time moves only when its status does.
                LastTransitionTime = previous?.Status == status && previous.LastTransitionTime is not null ? previous.LastTransitionTime : Second(now).UtcDateTime,
            };
        }
        var scheduled = old.FirstOrDefault(c => c.Type == "PodScheduled") ?? new V1PodCondition
        {
            Type = "PodScheduled",
            Status = "True",
            LastTransitionTime = Second(now).UtcDateTime,
        };
        return
        [
            Make("PodReadyToStartContainers", readyToStart),
            Make("Initialized", true),
            Make("Ready", containersReady, notReadyReason, notReadyMessage),
            Make("ContainersReady", containersReady, notReadyReason, notReadyMessage),
            scheduled,
        ];
    }

    private static IEnumerable<V1Container> Containers(V1Pod pod) => pod.Spec?.Containers ?? [];

    internal static string ImageId(string? image)
    {
        var name = string.IsNullOrEmpty(image) ? "unknown" : image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        var repository = colon > name.LastIndexOf('/') ? name[..colon] : name;
        if (!repository.Contains('/')) repository = "docker.io/library/" + repository;
        return $"{repository}@sha256:{Hash(image ?? "")}";
    }

    private static string ContainerId(V1Pod pod, string container, int restartCount) =>
        "containerd://" + Hash($"{pod.Metadata?.Uid}/{container}/{restartCount}");

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Kubernetes timestamps carry whole seconds; truncating here keeps decisions equal to what a re-read shows.</summary>
    internal static DateTimeOffset Second(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);

    internal static DateTimeOffset Utc(DateTime t) => t.Kind switch
    {
        DateTimeKind.Local => new DateTimeOffset(t.ToUniversalTime(), TimeSpan.Zero),
        _ => new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc), TimeSpan.Zero),
    };
}
