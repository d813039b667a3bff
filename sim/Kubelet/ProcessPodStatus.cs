using k8s.Models;

namespace Runai.Sim.Kubelet;

/// <summary>How a container that ran has ended.</summary>
internal sealed record Termination(int ExitCode, string Reason, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string ContainerId);

/// <summary>
/// What the runtime knows of one container of a process-backed pod: running (since, ready), waiting (reason, message)
/// or terminated for good, with its restart count and last termination.
/// </summary>
internal sealed record ContainerView(string Name, string Image, int RestartCount, bool EverStarted)
{
    public DateTimeOffset? RunningSince { get; init; }
    public bool Ready { get; init; }
    public string? ContainerId { get; init; }
    public string? WaitingReason { get; init; }
    public string? WaitingMessage { get; init; }
    public Termination? Terminated { get; init; }
    public Termination? LastTerminated { get; init; }
}

/// <summary>The pod status a kubelet reports for a process-backed pod, as a pure function of its containers' views.</summary>
internal static class ProcessPodStatus
{
    public static V1PodStatus Build(V1Pod pod, PodPlacement placement, IReadOnlyList<ContainerView> containers, DateTimeOffset now)
    {
        var allTerminated = containers.Count > 0 && containers.All(c => c.Terminated is not null);
        var phase = allTerminated
            ? containers.All(c => c.Terminated!.ExitCode == 0) ? "Succeeded" : "Failed"
            : containers.All(c => c.EverStarted) ? "Running" : "Pending";
        var ready = !allTerminated && containers.All(c => c.Ready && c.RunningSince is not null);
        return new V1PodStatus
        {
            Phase = phase,
            HostIP = placement.HostIP,
            HostIPs = [new V1HostIP { Ip = placement.HostIP }],
            PodIP = placement.PodIP,
            PodIPs = [new V1PodIP { Ip = placement.PodIP }],
            StartTime = pod.Status?.StartTime ?? PodLifecycle.Second(now).UtcDateTime,
            QosClass = pod.Status?.QosClass,
            Conditions = PodLifecycle.Conditions(pod, now, containersReady: ready, readyToStart: !allTerminated,
                notReadyReason: allTerminated ? "PodCompleted" : "ContainersNotReady"),
            ContainerStatuses = containers.Select(Status).ToList(),
        };
    }

    private static V1ContainerStatus Status(ContainerView c) => new()
    {
        Name = c.Name,
        Image = c.Image,
        ImageID = c.EverStarted ? PodLifecycle.ImageId(c.Image) : "",
        ContainerID = c.ContainerId,
        Ready = c.Ready && c.RunningSince is not null,
        Started = c.RunningSince is not null,
        RestartCount = c.RestartCount,
        State = c.Terminated is { } t ? new V1ContainerState { Terminated = Terminated(t) }
            : c.RunningSince is { } since ? new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = PodLifecycle.Second(since).UtcDateTime } }
            : new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = c.WaitingReason ?? PodLifecycle.ContainerCreating, Message = c.WaitingMessage } },
        LastState = c.LastTerminated is { } last ? new V1ContainerState { Terminated = Terminated(last) } : new V1ContainerState(),
    };

    private static V1ContainerStateTerminated Terminated(Termination t) => new()
    {
        ExitCode = t.ExitCode,
        Reason = t.Reason,
        StartedAt = PodLifecycle.Second(t.StartedAt).UtcDateTime,
        FinishedAt = PodLifecycle.Second(t.FinishedAt).UtcDateTime,
        ContainerID = t.ContainerId,
    };
}
