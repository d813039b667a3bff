using Runai.Core;
using Runai.Core.Workloads;
using Runai.Workloads.Tests.Support;
using Stage = Runai.Workloads.Tests.Support.PodBuilder.Stage;

namespace Runai.Workloads.Tests;

/// <summary>
/// The calculated status (SPEC §3) over every combination of owner condition × deletion × suspension × having
/// run before × the stage of each of a two-worker gang's members (absent, unscheduled, starting, running,
/// succeeded, failed), plus a launcher that must never count.
/// </summary>
public sealed class StatusCalculationTests
{
    private static readonly Stage?[] MemberStages = [null, Stage.Unscheduled, Stage.Starting, Stage.Running, Stage.Succeeded, Stage.Failed];

    public static TheoryData<bool, WorkloadOutcome, bool, bool, Stage?, Stage?> AllCombinations()
    {
        var data = new TheoryData<bool, WorkloadOutcome, bool, bool, Stage?, Stage?>();
        foreach (var deleting in new[] { false, true })
        foreach (var outcome in Enum.GetValues<WorkloadOutcome>())
        foreach (var suspended in new[] { false, true })
        foreach (var everRan in new[] { false, true })
        foreach (var first in MemberStages)
        foreach (var second in MemberStages)
            data.Add(deleting, outcome, suspended, everRan, first, second);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllCombinations))]
    public void StatusFollowsTheRulesInOrder(bool deleting, WorkloadOutcome outcome, bool suspended, bool everRan, Stage? first, Stage? second)
    {
        Stage?[] members = [first, second];
        foreach (var launcher in new Stage?[] { null, Stage.Running, Stage.Unscheduled })
        {
            var observation = Gang(members, launcher) with { Deleting = deleting, Outcome = outcome, Suspended = suspended, EverRan = everRan };
            Assert.Equal(Expected(deleting, outcome, suspended, everRan, members), WorkloadState.Calculate(observation));
        }
    }

    /// <summary>SPEC §3's rules as a decision table over the two members, written from the spec's words.</summary>
    private static string Expected(bool deleting, WorkloadOutcome outcome, bool suspended, bool everRan, Stage?[] members)
    {
        if (deleting) return WorkloadStatus.Deleting;
        if (outcome == WorkloadOutcome.Failed) return WorkloadStatus.Failed;
        if (outcome == WorkloadOutcome.Succeeded) return WorkloadStatus.Completed;
        if (suspended) return WorkloadStatus.Stopped;
        var present = members.Where(m => m is not null).Select(m => m!.Value).ToList();
        if (present.Count == 0) return everRan ? WorkloadStatus.Pending : WorkloadStatus.Creating;
        var running = present.Count(s => s == Stage.Running);
        var done = present.Count(s => s == Stage.Succeeded);
        if (running + done == members.Length) return WorkloadStatus.Running;
        if (running > 0 && everRan) return WorkloadStatus.Degraded;
        var allThereAndPlaced = present.Count == members.Length && present.All(s => s is Stage.Starting or Stage.Running or Stage.Succeeded);
        return allThereAndPlaced ? WorkloadStatus.Initializing : WorkloadStatus.Pending;
    }

    [Fact]
    public void EveryStatusOfTheSpecIsReachable()
    {
        var reached = AllCombinations()
            .Select(row => (object?[])row)
            .Select(r => WorkloadState.Calculate(Gang([(Stage?)r[4], (Stage?)r[5]], null) with
            {
                Deleting = (bool)r[0]!,
                Outcome = (WorkloadOutcome)r[1]!,
                Suspended = (bool)r[2]!,
                EverRan = (bool)r[3]!,
            }))
            .ToHashSet();
        Assert.Equal(WorkloadStatus.All.Order(), reached.Order());
    }

    [Fact]
    public void ASucceededOwnerIsCompletedEvenWithWorkersStillRunning()
    {
        // cleanPodPolicy None keeps the workers (sshd) running after the launcher succeeded: the seed's 30–60 s lag.
        var o = Gang([Stage.Running, Stage.Running], Stage.Succeeded) with { Outcome = WorkloadOutcome.Succeeded, EverRan = true };
        Assert.Equal(WorkloadStatus.Completed, WorkloadState.Calculate(o));
    }

    [Fact]
    public void OneWorkerLostAfterRunningIsDegraded()
    {
        var o = Gang([Stage.Running, Stage.Failed], Stage.Running) with { EverRan = true };
        Assert.Equal(WorkloadStatus.Degraded, WorkloadState.Calculate(o));
    }

    [Fact]
    public void OneWorkerStillStartingOnFirstRunIsInitializingNotDegraded()
    {
        var o = Gang([Stage.Running, Stage.Starting], null);
        Assert.Equal(WorkloadStatus.Initializing, WorkloadState.Calculate(o));
    }

    [Fact]
    public void AWorkerNotYetPlacedKeepsTheGangPending()
    {
        var o = Gang([Stage.Starting, Stage.Unscheduled], null);
        Assert.Equal(WorkloadStatus.Pending, WorkloadState.Calculate(o));
    }

    [Fact]
    public void TheLauncherCountsAsAMemberOnlyWithRunLauncherAsWorker()
    {
        // Two workers running, launcher unscheduled: the gang of workers runs; with the launcher as a worker it does not yet.
        var o = Gang([Stage.Running, Stage.Running], Stage.Unscheduled);
        Assert.Equal(WorkloadStatus.Running, WorkloadState.Calculate(o));
        Assert.Equal(WorkloadStatus.Pending, WorkloadState.Calculate(o with { LauncherCountsAsWorker = true, ExpectedPods = 3 }));
    }

    [Fact]
    public void AnInferenceWorkloadScaledToZeroIsStopped()
    {
        var o = Gang([], null) with { Kind = WorkloadKinds.InferenceWorkload, ExpectedPods = 0 };
        Assert.Equal(WorkloadStatus.Stopped, WorkloadState.Calculate(o));
    }

    internal static WorkloadObservation Gang(Stage?[] members, Stage? launcher)
    {
        var pods = members.Select((s, i) => s is { } stage ? PodBuilder.Worker($"job-worker-{i}", stage) : null).OfType<k8s.Models.V1Pod>().ToList();
        if (launcher is { } l) pods.Add(PodBuilder.Launcher(l));
        return new WorkloadObservation
        {
            Kind = WorkloadKinds.MpiJob,
            Gang = new WorkloadGang(members.Length, members.Length + 1, members.Length * 2, members.Length * 2, 0, false),
            ExpectedPods = members.Length,
            Pods = pods,
        };
    }
}
