using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Sim.Kubelet;
using Runai.Sim.Operators;

namespace Runai.Sim.Tests.Operators;

public sealed class MpiJobReconcilerTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static MpiJob Job(LauncherCreationPolicy policy = LauncherCreationPolicy.WaitForWorkersReady, CleanPodPolicy clean = CleanPodPolicy.None,
        int? backoffLimit = 0, bool suspend = false, string? launcherRestart = null)
    {
        V1PodTemplateSpec Template(int gpus, IDictionary<string, string>? annotations) => new()
        {
            Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "nccl" }, Annotations = annotations },
            Spec = new V1PodSpec
            {
                Containers =
                [
                    new V1Container
                    {
                        Name = "nccl",
                        Image = "nvcr.io/nvidia/pytorch:24.05-py3",
                        Resources = gpus == 0 ? null : new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new(gpus.ToString(System.Globalization.CultureInfo.InvariantCulture)) } },
                    },
                ],
            },
        };
        return new MpiJob
        {
            Metadata = new V1ObjectMeta { Name = "nccl-roce-validation", NamespaceProperty = "my-project", Uid = "job-uid" },
            Spec = new MpiJobSpec
            {
                SlotsPerWorker = 2,
                LauncherCreationPolicy = policy,
                RunPolicy = new MpiRunPolicy { CleanPodPolicy = clean, BackoffLimit = backoffLimit, Suspend = suspend },
                MpiReplicaSpecs = new Dictionary<string, MpiReplicaSpec>
                {
                    [MpiReplicaTypes.Launcher] = new() { Replicas = 1, RestartPolicy = launcherRestart, Template = Template(0, new Dictionary<string, string> { [SimAnnotations.RunSeconds] = "3600" }) },
                    [MpiReplicaTypes.Worker] = new() { Replicas = 2, Template = Template(2, null) },
                },
            },
        };
    }

    /// <summary>Pods as the API would hold them after the planned creations, in a given phase and readiness.</summary>
    private static List<V1Pod> Created(IEnumerable<MpiAction> actions, string phase = "Running", bool ready = true) =>
        actions.OfType<CreatePod>().Select(c => WithPhase(c.Pod, phase, ready)).ToList();

    private static V1Pod WithPhase(V1Pod pod, string phase, bool ready = true, int restarts = 0, bool crashLooping = false)
    {
        var copy = KubernetesJson.Deserialize<V1Pod>(KubernetesJson.Serialize(pod));
        copy.Metadata.Uid ??= "uid-" + pod.Metadata.Name;
        copy.Status = new V1PodStatus
        {
            Phase = phase,
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "nccl", RestartCount = restarts,
                    State = crashLooping ? new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = PodLifecycle.CrashLoopBackOff } } : new V1ContainerState(),
                },
            ],
        };
        return copy;
    }

    private static MpiJob WithStatus(MpiJob job, IReadOnlyList<MpiAction> actions)
    {
        var status = actions.OfType<UpdateStatus>().LastOrDefault()?.Status;
        if (status is not null) job.Status = status;
        return job;
    }

    private static MpiJobCondition Condition(MpiJobStatus status, string type) => Assert.Single(status.Conditions!, c => c.Type == type);

    private static List<V1Pod> Phase(List<V1Pod> pods, string name, string phase, int restarts = 0, bool crashLooping = false) =>
        pods.Select(p => p.Name() == name ? WithPhase(p, phase, phase == "Running", restarts, crashLooping) : p).ToList();

    [Fact]
    public void WaitForWorkersReadyCreatesTwoWorkersFirstAndMarksTheJobCreated()
    {
        var actions = MpiJobReconciler.Plan(Job(), [], Now);

        var pods = actions.OfType<CreatePod>().Select(c => c.Pod).ToList();
        Assert.Equal(["nccl-roce-validation-worker-0", "nccl-roce-validation-worker-1"], pods.Select(p => p.Name()));
        var status = Assert.IsType<UpdateStatus>(actions[0]).Status;
        var created = Condition(status, MpiJobConditionTypes.Created);
        Assert.Equal((ConditionStatus.True, "MPIJobCreated"), (created.Status, created.Reason));
        Assert.Equal(Now.UtcDateTime, status.StartTime);
    }

    [Fact]
    public void WorkerPodsCarryTheOperatorsLabelsOwnerAndTemplate()
    {
        var worker = MpiJobReconciler.Plan(Job(), [], Now).OfType<CreatePod>().First().Pod;

        Assert.Equal("my-project", worker.Namespace());
        Assert.Equal("nccl-roce-validation", worker.Metadata.Labels[KubeflowLabels.JobName]);
        Assert.Equal("worker", worker.Metadata.Labels[KubeflowLabels.JobRole]);
        Assert.Equal("0", worker.Metadata.Labels[KubeflowLabels.ReplicaIndex]);
        Assert.Equal("mpi-operator", worker.Metadata.Labels[KubeflowLabels.OperatorName]);
        Assert.Equal("nccl", worker.Metadata.Labels["app"]);
        var owner = Assert.Single(worker.Metadata.OwnerReferences);
        Assert.Equal(("kubeflow.org/v2beta1", "MPIJob", "nccl-roce-validation", "job-uid", true, true),
            (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
        Assert.Equal("2", worker.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("Never", worker.Spec.RestartPolicy);
        Assert.Equal(("nccl-roce-validation-worker-0", "nccl-roce-validation"), (worker.Spec.Hostname, worker.Spec.Subdomain));
    }

    [Fact]
    public void LauncherWaitsUntilEveryWorkerIsRunningAndReady()
    {
        var job = Job();
        var first = MpiJobReconciler.Plan(job, [], Now);
        job = WithStatus(job, first);

        var notReady = MpiJobReconciler.Plan(job, Created(first, "Running", ready: false), Now);
        var pending = MpiJobReconciler.Plan(job, Created(first, "Pending", ready: false), Now);
        var ready = MpiJobReconciler.Plan(job, Created(first), Now);

        Assert.Empty(notReady.OfType<CreatePod>());
        Assert.Empty(pending.OfType<CreatePod>());
        var launcher = Assert.Single(ready.OfType<CreatePod>()).Pod;
        Assert.Equal("nccl-roce-validation-launcher", launcher.Name());
        Assert.Equal("launcher", launcher.Metadata.Labels[KubeflowLabels.JobRole]);
        Assert.False(launcher.Metadata.Labels.ContainsKey(KubeflowLabels.ReplicaIndex));
        Assert.Equal("3600", launcher.Metadata.Annotations[SimAnnotations.RunSeconds]);
        Assert.Equal("OnFailure", launcher.Spec.RestartPolicy);
    }

    [Fact]
    public void AtStartupCreatesTheLauncherWithTheWorkers()
    {
        var created = MpiJobReconciler.Plan(Job(LauncherCreationPolicy.AtStartup), [], Now).OfType<CreatePod>().Select(c => c.Pod.Name());

        Assert.Equal(["nccl-roce-validation-worker-0", "nccl-roce-validation-worker-1", "nccl-roce-validation-launcher"], created);
    }

    [Fact]
    public void MissingWorkerIsRecreated()
    {
        var job = Job(LauncherCreationPolicy.AtStartup);
        var first = MpiJobReconciler.Plan(job, [], Now);
        var pods = Created(first).Where(p => p.Name() != "nccl-roce-validation-worker-1").ToList();

        var again = MpiJobReconciler.Plan(WithStatus(job, first), pods, Now);

        Assert.Equal("nccl-roce-validation-worker-1", Assert.Single(again.OfType<CreatePod>()).Pod.Name());
    }

    [Fact]
    public void RunningLauncherMakesTheJobRunningWithReplicaCounts()
    {
        var job = Job(LauncherCreationPolicy.AtStartup);
        var first = MpiJobReconciler.Plan(job, [], Now);

        var actions = MpiJobReconciler.Plan(WithStatus(job, first), Created(first), Now);

        var status = Assert.IsType<UpdateStatus>(Assert.Single(actions)).Status;
        Assert.Equal((ConditionStatus.True, "MPIJobRunning"), (Condition(status, MpiJobConditionTypes.Running).Status, Condition(status, MpiJobConditionTypes.Running).Reason));
        Assert.Equal((1, 0, 0), Counts(status, MpiReplicaTypes.Launcher));
        Assert.Equal((2, 0, 0), Counts(status, MpiReplicaTypes.Worker));
    }

    [Fact]
    public void SteadyStateNeedsNoWrites()
    {
        var job = Job(LauncherCreationPolicy.AtStartup);
        var first = MpiJobReconciler.Plan(job, [], Now);
        var pods = Created(first);
        job = WithStatus(job, MpiJobReconciler.Plan(WithStatus(job, first), pods, Now));

        Assert.Empty(MpiJobReconciler.Plan(job, pods, Now + TimeSpan.FromMinutes(5)));
    }

    private static (int?, int?, int?) Counts(MpiJobStatus status, string replica) =>
        (status.ReplicaStatuses![replica].Active, status.ReplicaStatuses[replica].Succeeded, status.ReplicaStatuses[replica].Failed);

    private static (MpiJob Job, List<V1Pod> Pods) RunningJob(CleanPodPolicy clean = CleanPodPolicy.None, int backoffLimit = 0, string? launcherRestart = null)
    {
        var job = Job(LauncherCreationPolicy.AtStartup, clean, backoffLimit, launcherRestart: launcherRestart);
        var first = MpiJobReconciler.Plan(job, [], Now);
        var pods = Created(first);
        job = WithStatus(WithStatus(job, first), MpiJobReconciler.Plan(WithStatus(job, first), pods, Now));
        return (job, pods);
    }

    [Fact]
    public void SucceededLauncherSucceedsTheJobAndEndsRunning()
    {
        var (job, pods) = RunningJob();

        var actions = MpiJobReconciler.Plan(job, Phase(pods, "nccl-roce-validation-launcher", "Succeeded"), Now + TimeSpan.FromHours(1));

        var status = Assert.IsType<UpdateStatus>(Assert.Single(actions)).Status;
        var succeeded = Condition(status, MpiJobConditionTypes.Succeeded);
        Assert.Equal((ConditionStatus.True, "MPIJobSucceeded", "MPIJob my-project/nccl-roce-validation successfully completed."), (succeeded.Status, succeeded.Reason, succeeded.Message));
        Assert.Equal(ConditionStatus.False, Condition(status, MpiJobConditionTypes.Running).Status);
        Assert.Equal((Now + TimeSpan.FromHours(1)).UtcDateTime, status.CompletionTime);
        Assert.Equal((0, 1, 0), Counts(status, MpiReplicaTypes.Launcher));
    }

    [Theory]
    [InlineData(CleanPodPolicy.None, new string[0])]
    [InlineData(CleanPodPolicy.Running, new[] { "nccl-roce-validation-worker-0", "nccl-roce-validation-worker-1" })]
    [InlineData(CleanPodPolicy.All, new[] { "nccl-roce-validation-worker-0", "nccl-roce-validation-worker-1", "nccl-roce-validation-launcher" })]
    public void CleanPodPolicyDecidesWhichPodsGoWhenTheJobEnds(CleanPodPolicy policy, string[] deleted)
    {
        var (job, pods) = RunningJob(policy);

        var actions = MpiJobReconciler.Plan(job, Phase(pods, "nccl-roce-validation-launcher", "Succeeded"), Now);

        Assert.Equal(deleted.Order(), actions.OfType<DeletePod>().Select(d => d.Name).Order());
    }

    [Fact]
    public void FinishedJobIsLeftAloneAfterwards()
    {
        var (job, pods) = RunningJob();
        var done = Phase(pods, "nccl-roce-validation-launcher", "Succeeded");
        job = WithStatus(job, MpiJobReconciler.Plan(job, done, Now));

        Assert.Empty(MpiJobReconciler.Plan(job, done, Now + TimeSpan.FromDays(1)));
        Assert.Empty(MpiJobReconciler.Plan(job, done.Where(p => p.Name() != "nccl-roce-validation-worker-0").ToList(), Now).OfType<CreatePod>());
    }

    [Fact]
    public void FailedLauncherWithBackoffLimitZeroFailsTheJob()
    {
        var (job, pods) = RunningJob(backoffLimit: 0);

        var actions = MpiJobReconciler.Plan(job, Phase(pods, "nccl-roce-validation-launcher", "Failed"), Now);

        var status = Assert.IsType<UpdateStatus>(actions[0]).Status;
        Assert.Equal((ConditionStatus.True, "MPIJobFailed"), (Condition(status, MpiJobConditionTypes.Failed).Status, Condition(status, MpiJobConditionTypes.Failed).Reason));
        Assert.Equal(1, status.ReplicaStatuses![MpiReplicaTypes.Launcher].Failed);
        Assert.Empty(actions.OfType<CreatePod>());
        Assert.Empty(actions.OfType<DeletePod>());
    }

    [Fact]
    public void FailedLauncherIsRecreatedWhileTheBackoffLimitAllows()
    {
        var (job, pods) = RunningJob(backoffLimit: 1);
        var failedOnce = Phase(pods, "nccl-roce-validation-launcher", "Failed");

        var first = MpiJobReconciler.Plan(job, failedOnce, Now);
        job = WithStatus(job, first);
        var withoutLauncher = failedOnce.Where(p => p.Name() != "nccl-roce-validation-launcher").ToList();
        var recreate = MpiJobReconciler.Plan(job, withoutLauncher, Now);
        var second = MpiJobReconciler.Plan(job, Phase(Created(recreate).Concat(withoutLauncher).ToList(), "nccl-roce-validation-launcher", "Failed"), Now);

        Assert.Equal("nccl-roce-validation-launcher", Assert.Single(first.OfType<DeletePod>()).Name);
        Assert.False(first.OfType<UpdateStatus>().Single().Status.HasTrueCondition(MpiJobConditionTypes.Failed));
        Assert.Equal(1, job.Status!.ReplicaStatuses![MpiReplicaTypes.Launcher].Failed);
        Assert.Equal("nccl-roce-validation-launcher", Assert.Single(recreate.OfType<CreatePod>()).Pod.Name());
        var failed = second.OfType<UpdateStatus>().Single().Status;
        Assert.True(failed.HasTrueCondition(MpiJobConditionTypes.Failed));
        Assert.Equal(2, failed.ReplicaStatuses![MpiReplicaTypes.Launcher].Failed);
    }

    [Fact]
    public void LauncherRestartedInPlaceSpendsTheBackoffBudget()
    {
        var (job, pods) = RunningJob(backoffLimit: 1);

        var firstCrash = MpiJobReconciler.Plan(job, Phase(pods, "nccl-roce-validation-launcher", "Running", restarts: 0, crashLooping: true), Now);
        var secondCrash = MpiJobReconciler.Plan(job, Phase(pods, "nccl-roce-validation-launcher", "Running", restarts: 1, crashLooping: true), Now);

        Assert.DoesNotContain(firstCrash.OfType<UpdateStatus>(), u => u.Status.HasTrueCondition(MpiJobConditionTypes.Failed));
        Assert.True(secondCrash.OfType<UpdateStatus>().Single().Status.HasTrueCondition(MpiJobConditionTypes.Failed));
        Assert.Contains(secondCrash.OfType<DeletePod>(), d => d.Name == "nccl-roce-validation-launcher");
    }

    [Fact]
    public void SuspendDeletesEveryPodAndResumeRecreatesThem()
    {
        var (job, pods) = RunningJob();
        job.Spec.RunPolicy!.Suspend = true;

        var suspend = MpiJobReconciler.Plan(job, pods, Now + TimeSpan.FromMinutes(1));
        job = WithStatus(job, suspend);
        job.Spec.RunPolicy!.Suspend = false;
        var resume = MpiJobReconciler.Plan(job, [], Now + TimeSpan.FromMinutes(2));

        Assert.Equal(3, suspend.OfType<DeletePod>().Count());
        var suspended = Condition(job.Status!, MpiJobConditionTypes.Suspended);
        Assert.Equal((ConditionStatus.True, "MPIJobSuspended"), (suspended.Status, suspended.Reason));
        Assert.Equal(ConditionStatus.False, Condition(job.Status!, MpiJobConditionTypes.Running).Status);
        Assert.Equal((0, 0, 0), Counts(job.Status!, MpiReplicaTypes.Worker));
        Assert.Equal(3, resume.OfType<CreatePod>().Count());
        var resumed = resume.OfType<UpdateStatus>().Single().Status;
        Assert.Equal((ConditionStatus.False, "MPIJobResumed"), (Condition(resumed, MpiJobConditionTypes.Suspended).Status, Condition(resumed, MpiJobConditionTypes.Suspended).Reason));
        Assert.Equal((Now + TimeSpan.FromMinutes(2)).UtcDateTime, resumed.StartTime);
    }

    [Fact]
    public void JobCreatedSuspendedMakesNoPods()
    {
        var actions = MpiJobReconciler.Plan(Job(suspend: true), [], Now);

        Assert.Empty(actions.OfType<CreatePod>());
        Assert.True(actions.OfType<UpdateStatus>().Single().Status.HasTrueCondition(MpiJobConditionTypes.Suspended));
    }

    [Fact]
    public void PodsBeingDeletedAreNotCounted()
    {
        var (job, pods) = RunningJob();
        var launcher = pods.Single(p => p.Name() == "nccl-roce-validation-launcher");
        launcher.Metadata.DeletionTimestamp = Now.UtcDateTime;
        launcher.Status.Phase = "Failed";

        var actions = MpiJobReconciler.Plan(job, pods, Now);

        Assert.DoesNotContain(actions.OfType<UpdateStatus>(), u => u.Status.HasTrueCondition(MpiJobConditionTypes.Failed));
        Assert.Equal("nccl-roce-validation-launcher", Assert.Single(actions.OfType<CreatePod>()).Pod.Name());
    }

    [Fact]
    public void ExitCodeRestartPolicyBecomesNeverOnThePod()
    {
        var launcher = MpiJobReconciler.Plan(Job(LauncherCreationPolicy.AtStartup, launcherRestart: MpiRestartPolicies.ExitCode), [], Now)
            .OfType<CreatePod>().Single(c => c.Pod.Name().EndsWith("-launcher", StringComparison.Ordinal)).Pod;

        Assert.Equal("Never", launcher.Spec.RestartPolicy);
    }

    [Fact]
    public void JobWithoutALauncherFailsSayingWhy()
    {
        var job = Job();
        job.Spec.MpiReplicaSpecs.Remove(MpiReplicaTypes.Launcher);

        var status = MpiJobReconciler.Plan(job, [], Now).OfType<UpdateStatus>().Single().Status;

        Assert.Contains("spec.mpiReplicaSpecs.Launcher is required", Condition(status, MpiJobConditionTypes.Failed).Message);
    }
}
