using k8s;
using k8s.Models;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Cluster;

/// <summary>The simulated Job controller: pods from the template until enough succeed, the back-off limit, suspension.</summary>
public sealed class JobControllerTests(SeedClusterFixture cluster) : IClassFixture<SeedClusterFixture>
{
    private static V1Job Job(string name, int runSeconds, int exitCode, int backoffLimit = 6, int completions = 1, int parallelism = 1, bool suspend = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default" },
        Spec = new V1JobSpec
        {
            BackoffLimit = backoffLimit,
            Completions = completions,
            Parallelism = parallelism,
            Suspend = suspend,
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta
                {
                    Labels = new Dictionary<string, string> { ["app"] = name },
                    Annotations = new Dictionary<string, string> { ["sim.run.ai/run-seconds"] = $"{runSeconds}", ["sim.run.ai/exit-code"] = $"{exitCode}" },
                },
                Spec = new V1PodSpec { RestartPolicy = "Never", Containers = [new V1Container { Name = "main", Image = "busybox" }] },
            },
        },
    };

    private async Task<V1Job> UntilAsync(string name, Func<V1Job, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = await cluster.Client.BatchV1.ReadNamespacedJobAsync(name, "default");
            if (done(job)) return job;
            if (DateTime.UtcNow > deadline) Assert.Fail($"job {name}: {what} did not happen; status {k8s.KubernetesJson.Serialize(job.Status)}");
            await Task.Delay(200);
        }
    }

    private static bool Has(V1Job job, string condition) => job.Status?.Conditions?.Any(c => c.Type == condition && c.Status == "True") == true;

    [Fact]
    public async Task AJobRunsItsPodsUntilEnoughSucceedAndThenIsComplete()
    {
        await cluster.Client.BatchV1.CreateNamespacedJobAsync(Job("job-ok", runSeconds: 1, exitCode: 0, completions: 2, parallelism: 2), "default");

        var job = await UntilAsync("job-ok", j => Has(j, "Complete"), "Complete");

        Assert.Equal(2, job.Status.Succeeded);
        Assert.Equal(0, job.Status.Active ?? 0);
        Assert.NotNull(job.Status.StartTime);
        Assert.NotNull(job.Status.CompletionTime);
        var pods = (await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "job-name=job-ok")).Items;
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Equal("job-ok", p.Metadata.OwnerReferences.Single(o => o.Controller == true).Name));
        Assert.All(pods, p => Assert.Equal(job.Metadata.Uid, p.Metadata.Labels["controller-uid"]));
    }

    [Fact]
    public async Task FailedPodsBeyondTheBackoffLimitFailTheJob()
    {
        await cluster.Client.BatchV1.CreateNamespacedJobAsync(Job("job-bad", runSeconds: 0, exitCode: 3, backoffLimit: 1), "default");

        var job = await UntilAsync("job-bad", j => Has(j, "Failed"), "Failed");

        Assert.Equal(2, job.Status.Failed);
        Assert.Equal("BackoffLimitExceeded", job.Status.Conditions.Single(c => c.Type == "Failed").Reason);
        Assert.Null(job.Status.CompletionTime);
        await Task.Delay(1000);
        Assert.Equal(2, (await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "job-name=job-bad")).Items.Count);
    }

    [Fact]
    public async Task ASuspendedJobHasNoPodsUntilItIsResumed()
    {
        await cluster.Client.BatchV1.CreateNamespacedJobAsync(Job("job-held", runSeconds: 600, exitCode: 0, suspend: true), "default");

        var job = await UntilAsync("job-held", j => Has(j, "Suspended"), "Suspended");
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "job-name=job-held")).Items);

        await cluster.Client.BatchV1.PatchNamespacedJobAsync(new V1Patch("""{"spec":{"suspend":false}}""", V1Patch.PatchType.MergePatch), "job-held", "default");
        job = await UntilAsync("job-held", j => j.Status?.Active == 1, "one active pod");
        Assert.False(Has(job, "Suspended"));
    }
}
