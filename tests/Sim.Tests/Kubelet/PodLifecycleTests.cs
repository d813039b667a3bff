using k8s;
using k8s.Models;
using Runai.Sim.Kubelet;
using Runai.Sim.Tests.Operators.Support;

namespace Runai.Sim.Tests.Kubelet;

public sealed class PodLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly PodPlacement OnReadyNode = new(true, "10.0.0.1", "10.244.0.7");

    private static V1Pod Bound(string restartPolicy = "Always", params (string Key, string Value)[] annotations) =>
        TestObjects.Pod("p", node: "gpu-worker-01", restartPolicy: restartPolicy, annotations: annotations.ToDictionary(a => a.Key, a => a.Value));

    /// <summary>Writes the step's status into the pod through JSON, as a round trip through the API server would.</summary>
    private static V1Pod Apply(V1Pod pod, PodStep step)
    {
        Assert.NotNull(step.Status);
        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
        copy.Status = KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(step.Status));
        return copy;
    }

    private static V1Pod Running(V1Pod pod, DateTimeOffset at)
    {
        var admitted = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, at));
        return Apply(admitted, PodLifecycle.Next(admitted, OnReadyNode, at + TimeSpan.FromSeconds(1)));
    }

    private static V1ContainerStatus Container(V1PodStatus? status) => Assert.Single(status!.ContainerStatuses);

    [Fact]
    public void UnboundPodIsNotTheKubeletsBusiness()
    {
        var pod = TestObjects.Pod("p");
        Assert.Same(PodStep.Idle, PodLifecycle.Next(pod, OnReadyNode, T0));
    }

    [Fact]
    public void PodsOnANodeThatIsNotReadyStayAsTheyAre()
    {
        var pod = Bound();
        Assert.Same(PodStep.Idle, PodLifecycle.Next(pod, OnReadyNode with { NodeReady = false }, T0));
        pod.Metadata.DeletionTimestamp = T0.UtcDateTime;
        Assert.Same(PodStep.Idle, PodLifecycle.Next(pod, OnReadyNode with { NodeReady = false }, T0));
    }

    [Fact]
    public void NewlyBoundPodIsAdmittedAsPendingWithContainerCreating()
    {
        var step = PodLifecycle.Next(Bound(), OnReadyNode, T0);

        Assert.Equal("Pending", step.Status!.Phase);
        Assert.Equal("10.0.0.1", step.Status.HostIP);
        Assert.Equal(T0.UtcDateTime, step.Status.StartTime);
        var container = Container(step.Status);
        Assert.Equal(PodLifecycle.ContainerCreating, container.State.Waiting.Reason);
        Assert.False(container.Ready);
        Assert.Equal(0, container.RestartCount);
        Assert.Equal("True", step.Status.Conditions.Single(c => c.Type == "PodScheduled").Status);
        Assert.Equal("True", step.Status.Conditions.Single(c => c.Type == "Initialized").Status);
        var ready = step.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "ContainersNotReady", "containers with unready status: [main]"), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), step.WakeAt);
        Assert.False(step.Delete);
    }

    [Fact]
    public void StartDelayAnnotationKeepsContainersCreatingThatLong()
    {
        var pod = Bound("Always", (SimAnnotations.StartDelaySeconds, "5"));
        var admitted = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0));

        var early = PodLifecycle.Next(admitted, OnReadyNode, T0 + TimeSpan.FromSeconds(4));

        Assert.Null(early.Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5), early.WakeAt);
        Assert.Equal("Running", PodLifecycle.Next(admitted, OnReadyNode, T0 + TimeSpan.FromSeconds(5)).Status!.Phase);
    }

    [Fact]
    public void StartedPodRunsWithReadyContainersAndRunsUntilDeletedWithoutAnnotations()
    {
        var pod = Bound();
        var admitted = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0));

        var step = PodLifecycle.Next(admitted, OnReadyNode, T0 + TimeSpan.FromSeconds(1));

        Assert.Equal("Running", step.Status!.Phase);
        Assert.Equal("10.244.0.7", step.Status.PodIP);
        Assert.Equal(T0.UtcDateTime, step.Status.StartTime);
        var container = Container(step.Status);
        Assert.True(container.Ready);
        Assert.True(container.Started);
        Assert.Equal(0, container.RestartCount);
        Assert.Equal((T0 + TimeSpan.FromSeconds(1)).UtcDateTime, container.State.Running.StartedAt);
        Assert.StartsWith("containerd://", container.ContainerID);
        Assert.StartsWith("nvcr.io/nvidia/pytorch@sha256:", container.ImageID);
        Assert.All(step.Status.Conditions, c => Assert.Equal("True", c.Status));
        Assert.Null(step.WakeAt);
        Assert.Same(PodStep.Idle, PodLifecycle.Next(Apply(admitted, step), OnReadyNode, T0 + TimeSpan.FromDays(3)));
    }

    [Fact]
    public void RunningPodWakesWhenItsRunTimeEnds()
    {
        var running = Running(Bound("Never", (SimAnnotations.RunSeconds, "30")), T0);

        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(10));

        Assert.Null(step.Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(31), step.WakeAt);
    }

    [Theory]
    [InlineData("Never", "0", "Succeeded", "Completed")]
    [InlineData("Never", "3", "Failed", "Error")]
    [InlineData("OnFailure", "0", "Succeeded", "Completed")]
    public void ContainerThatExitsForGoodEndsThePodInATerminalPhase(string restartPolicy, string exitCode, string phase, string reason)
    {
        var running = Running(Bound(restartPolicy, (SimAnnotations.RunSeconds, "30"), (SimAnnotations.ExitCode, exitCode)), T0);

        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(31));

        Assert.Equal(phase, step.Status!.Phase);
        var terminated = Container(step.Status).State.Terminated;
        Assert.Equal(int.Parse(exitCode, System.Globalization.CultureInfo.InvariantCulture), terminated.ExitCode);
        Assert.Equal(reason, terminated.Reason);
        Assert.Equal((T0 + TimeSpan.FromSeconds(1)).UtcDateTime, terminated.StartedAt);
        Assert.Equal((T0 + TimeSpan.FromSeconds(31)).UtcDateTime, terminated.FinishedAt);
        var ready = step.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "PodCompleted"), (ready.Status, ready.Reason));
        Assert.Null(step.WakeAt);
        Assert.Same(PodStep.Idle, PodLifecycle.Next(Apply(running, step), OnReadyNode, T0 + TimeSpan.FromHours(1)));
    }

    [Fact]
    public void KubeletThatLooksLateStillRecordsTheExitWhenItHappened()
    {
        var running = Running(Bound("Never", (SimAnnotations.RunSeconds, "30")), T0);

        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromMinutes(10));

        Assert.Equal((T0 + TimeSpan.FromSeconds(31)).UtcDateTime, Container(step.Status).State.Terminated.FinishedAt);
    }

    [Fact]
    public void OomKillBeforeTheRunEndsExitsWith137AndReasonOOMKilled()
    {
        var running = Running(Bound("Never", (SimAnnotations.RunSeconds, "60"), (SimAnnotations.OomAfterSeconds, "20")), T0);

        Assert.Equal(T0 + TimeSpan.FromSeconds(21), PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(2)).WakeAt);
        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(21));

        Assert.Equal("Failed", step.Status!.Phase);
        Assert.Equal((137, "OOMKilled"), (Container(step.Status).State.Terminated.ExitCode, Container(step.Status).State.Terminated.Reason));
    }

    [Theory]
    [InlineData("Always", "0", "Completed")]
    [InlineData("Always", "1", "Error")]
    [InlineData("OnFailure", "2", "Error")]
    public void RestartableExitGoesIntoCrashLoopBackOffAndStaysRunning(string restartPolicy, string exitCode, string reason)
    {
        var running = Running(Bound(restartPolicy, (SimAnnotations.RunSeconds, "30"), (SimAnnotations.ExitCode, exitCode)), T0);

        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(31));

        Assert.Equal("Running", step.Status!.Phase);
        var container = Container(step.Status);
        Assert.Equal(PodLifecycle.CrashLoopBackOff, container.State.Waiting.Reason);
        Assert.Equal("back-off 10s restarting failed container=main pod=p_default(uid-default-p)", container.State.Waiting.Message);
        Assert.Equal(reason, container.LastState.Terminated.Reason);
        Assert.False(container.Ready);
        Assert.Equal(0, container.RestartCount);
        Assert.Equal("False", step.Status.Conditions.Single(c => c.Type == "Ready").Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(41), step.WakeAt);
    }

    [Fact]
    public void CrashLoopingContainerRestartsAfterItsBackOffWithRestartCountOneHigher()
    {
        var running = Running(Bound("Always", (SimAnnotations.OomAfterSeconds, "30")), T0);
        var crashed = Apply(running, PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromSeconds(31)));

        var waiting = PodLifecycle.Next(crashed, OnReadyNode, T0 + TimeSpan.FromSeconds(35));
        var restarted = PodLifecycle.Next(crashed, OnReadyNode, T0 + TimeSpan.FromSeconds(41));

        Assert.Null(waiting.Status);
        Assert.Equal(T0 + TimeSpan.FromSeconds(41), waiting.WakeAt);
        Assert.Equal("Running", restarted.Status!.Phase);
        var container = Container(restarted.Status);
        Assert.Equal(1, container.RestartCount);
        Assert.True(container.Ready);
        Assert.Equal("OOMKilled", container.LastState.Terminated.Reason);
        Assert.Equal(137, container.LastState.Terminated.ExitCode);
        Assert.Equal(T0 + TimeSpan.FromSeconds(71), restarted.WakeAt);
    }

    [Fact]
    public void SecondCrashBacksOffTwiceAsLong()
    {
        var pod = Running(Bound("Always", (SimAnnotations.RunSeconds, "5")), T0);
        pod = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0 + TimeSpan.FromSeconds(6)));    // crash 1 at 6
        pod = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0 + TimeSpan.FromSeconds(16)));   // restart 1
        var crash2 = PodLifecycle.Next(pod, OnReadyNode, T0 + TimeSpan.FromSeconds(21));

        Assert.Equal(1, Container(crash2.Status).RestartCount);
        Assert.StartsWith("back-off 20s", Container(crash2.Status).State.Waiting.Message);
        Assert.Equal(T0 + TimeSpan.FromSeconds(41), crash2.WakeAt);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(1, 20)]
    [InlineData(2, 40)]
    [InlineData(4, 160)]
    [InlineData(5, 300)]
    [InlineData(50, 300)]
    public void CrashLoopBackOffDoublesFromTenSecondsUpToFiveMinutes(int restarts, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), PodLifecycle.CrashLoopDelay(restarts));
    }

    [Fact]
    public void DeletedRunningPodIsKilledAndThenRemoved()
    {
        var running = Running(Bound(), T0);
        running.Metadata.DeletionTimestamp = (T0 + TimeSpan.FromMinutes(1)).UtcDateTime;

        var step = PodLifecycle.Next(running, OnReadyNode, T0 + TimeSpan.FromMinutes(1));

        Assert.True(step.Delete);
        Assert.Equal("Failed", step.Status!.Phase);
        var terminated = Container(step.Status).State.Terminated;
        Assert.Equal(PodLifecycle.SigtermExitCode, terminated.ExitCode);
        Assert.Equal((T0 + TimeSpan.FromSeconds(1)).UtcDateTime, terminated.StartedAt);
    }

    [Fact]
    public void DeletedFinishedPodIsRemovedWithoutAnotherStatus()
    {
        var pod = Bound(phase: "Succeeded");
        pod.Metadata.DeletionTimestamp = T0.UtcDateTime;

        var step = PodLifecycle.Next(pod, OnReadyNode, T0);

        Assert.True(step.Delete);
        Assert.Null(step.Status);
    }

    [Theory]
    [InlineData(SimAnnotations.RunSeconds, "soon")]
    [InlineData(SimAnnotations.RunSeconds, "-1")]
    [InlineData(SimAnnotations.ExitCode, "256")]
    [InlineData(SimAnnotations.OomAfterSeconds, "1e400")]
    public void MalformedSimulationAnnotationFailsThePodNamingTheAnnotation(string key, string value)
    {
        var step = PodLifecycle.Next(Bound("Always", (key, value)), OnReadyNode, T0);

        Assert.Equal("Failed", step.Status!.Phase);
        Assert.Equal("SimAnnotationInvalid", step.Status.Reason);
        Assert.Contains(key, step.Status.Message);
        Assert.Contains(value, step.Status.Message);
    }

    [Fact]
    public void ConditionTransitionTimesMoveOnlyWhenTheConditionChanges()
    {
        var pod = Bound("Always", (SimAnnotations.RunSeconds, "30"));
        var admitted = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0));
        var running = Apply(admitted, PodLifecycle.Next(admitted, OnReadyNode, T0 + TimeSpan.FromSeconds(1)));

        Assert.Equal(T0.UtcDateTime, running.Status.Conditions.Single(c => c.Type == "Initialized").LastTransitionTime);
        Assert.Equal((T0 + TimeSpan.FromSeconds(1)).UtcDateTime, running.Status.Conditions.Single(c => c.Type == "Ready").LastTransitionTime);
    }

    [Fact]
    public void AdmittedPodWithoutContainersIsLeftAloneRatherThanAdmittedAgain()
    {
        var pod = Bound();
        pod.Spec.Containers = [];
        var admitted = Apply(pod, PodLifecycle.Next(pod, OnReadyNode, T0));

        Assert.Equal("Pending", admitted.Status.Phase);
        Assert.Same(PodStep.Idle, PodLifecycle.Next(admitted, OnReadyNode, T0 + TimeSpan.FromSeconds(5)));
    }

    private static V1Pod Bound(string restartPolicy = "Always", string? phase = null)
    {
        var pod = TestObjects.Pod("p", node: "gpu-worker-01", restartPolicy: restartPolicy, phase: phase);
        return pod;
    }
}
