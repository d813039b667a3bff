using System.Text.Json;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

/// <summary>
/// The issue's acceptance in the stack: the seed MPIJob through the exporter pod and back out of a real Prometheus.
/// Until workload-controller runs in the stack, the test writes the seed's annotations as it would.
/// </summary>
public sealed class SeedStackTests(SeedStack stack) : IClassFixture<SeedStack>
{
    private const string Job = "nccl-roce-validation", Ns = "my-project";
    private static readonly string Sel = $"workload=\"{Job}\",namespace=\"{Ns}\"";

    [Fact]
    public async Task TheSeedJobIsSeenThroughPrometheusAndItsSeriesGoWhenItIsDeleted()
    {
        var api = stack.Admin;
        await Wait.UntilAsync(async () => (await WorkersAsync(api)).Count(p => p.Status?.Phase == "Running") == 2, "the seed job's two workers to run", 60);
        var workers = await WorkersAsync(api);
        var nodes = workers.Select(p => p.Spec.NodeName).Order(StringComparer.Ordinal).ToList();
        await api.AnnotateAsync(MpiJob.KubeGroup, MpiJob.KubeApiVersion, MpiJob.KubePluralName, Ns, Job, new Dictionary<string, string?>
        {
            [RunaiAnnotations.CalculatedStatus] = "Running", [RunaiAnnotations.PendingPods] = "0", [RunaiAnnotations.RunningPods] = "2",
            [RunaiAnnotations.CurrentAllocatedGpus] = "4", [RunaiAnnotations.CurrentAllocatedGpusMemory] = "301508",
            [RunaiAnnotations.CurrentRequestedGpus] = "4", [RunaiAnnotations.TotalRequestedGpus] = "4",
            [RunaiAnnotations.PodGroupRequestedGpus] = "4", [RunaiAnnotations.PodGroupRequestedGpusMemory] = "0",
            [RunaiAnnotations.UsedNodes] = string.Join(RunaiAnnotations.UsedNodesSeparator, nodes),
        });

        var prom = stack.Prometheus;
        try
        {
            await Wait.UntilAsync(async () => (await prom.TargetsAsync()).Contains("\"health\":\"up\"", StringComparison.Ordinal), "Prometheus to scrape the exporter pod", 30);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            Assert.Fail($"{e.Message}\ntargets: {await prom.TargetsAsync()}\nprometheus: {prom.Log}");
        }

        try
        {
            await Wait.UntilAsync(async () => await prom.ScalarAsync($"runai_workload_status{{{Sel},status=\"running\"}}") == 1,
                "Prometheus to see the job running", 30);
        }
        catch (Xunit.Sdk.XunitException e)
        {
            var lines = (await stack.ScrapeAsync()).Split('\n').Where(l => l.Contains(Job, StringComparison.Ordinal));
            Assert.Fail($"{e.Message}\nexporter: {string.Join('\n', lines)}\nprometheus: {JsonSerializer.Serialize(await prom.QueryAsync("runai_workload_status"))}\n{await prom.TargetsAsync()}");
        }
        Assert.Equal(0, await prom.ScalarAsync($"runai_workload_status{{{Sel},status=\"pending\"}}"));
        Assert.Equal(4, await prom.ScalarAsync($"runai_workload_gpu_allocation{{{Sel},type=\"MPIJob\",project=\"my-project\"}}"));
        Assert.Equal(8, await prom.ScalarAsync("runai_project_gpu_quota{project=\"my-project\"}"));
        Assert.Equal(16, await prom.ScalarAsync("runai_project_gpu_limit{project=\"my-project\"}"));
        Assert.Equal(4, await prom.ScalarAsync("sum(runai_node_allocated_gpus{node_pool=\"gpu-h200-pool\"})"));
        Assert.Equal(8, await prom.ScalarAsync("count(runai_node_gpus{model=\"NVIDIA-H200\",ready=\"true\"})"));
        Assert.Equal(1, await prom.ScalarAsync("runai_exporter_synced"));

        // Runtime grows between scrapes; queue time is the time from submission to the last worker's placement.
        var runtime = await prom.ScalarAsync($"runai_workload_runtime_seconds{{{Sel}}}");
        await Wait.UntilAsync(async () => await prom.ScalarAsync($"runai_workload_runtime_seconds{{{Sel}}}") > runtime + 1, "the runtime to grow", 15);
        var job = await api.CustomObjects.GetNamespacedCustomObjectAsync<MpiJob>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, Ns, MpiJob.KubePluralName, Job);
        var placed = workers.Max(p => p.Status.Conditions.Single(c => c.Type == "PodScheduled").LastTransitionTime!.Value);
        var waited = (placed - job.Metadata.CreationTimestamp!.Value).TotalSeconds;
        Assert.InRange((await prom.ScalarAsync($"runai_workload_queue_time{{{Sel}}}"))!.Value, waited - 1, waited + 1);

        // The exporter's own output, as Prometheus read it, passes promtool: nothing about any runai_ series.
        var (exit, lint) = await Promtool.CheckMetricsAsync(await stack.ScrapeAsync("text/plain"));
        Assert.DoesNotContain("runai_", lint);
        Assert.True(exit == 0, lint);

        await api.CustomObjects.DeleteNamespacedCustomObjectAsync(MpiJob.KubeGroup, MpiJob.KubeApiVersion, Ns, MpiJob.KubePluralName, Job);
        await Wait.UntilAsync(async () => !(await stack.ScrapeAsync()).Contains(Job, StringComparison.Ordinal), "the job's series to leave the exporter", 5);
        await Wait.UntilAsync(async () => (await prom.QueryAsync($"{{{Sel}}}")).Count == 0, "the job's series to go stale in Prometheus", 15);
        Assert.Equal(0, await prom.ScalarAsync("runai_project_allocated_gpus{project=\"my-project\"}"));
    }

    [Fact]
    public async Task TheExporterReadsOnlyWhatItsRoleGrantsAndIsNeverRefused()
    {
        await Wait.UntilAsync(async () => (await stack.ScrapeAsync()).Contains("runai_lease_info{lease=\"workload-exporter\"", StringComparison.Ordinal),
            "the exporter to see its own lease", 30);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(stack.Cluster.ApiUrl, "/debug/audit"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", stack.Cluster.AdminToken);
        using var response = await stack.Admin.HttpClient.SendAsync(request);
        var audit = await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(audit);
        var mine = doc.RootElement.GetProperty("identities").EnumerateArray()
            .Single(i => i.GetProperty("user").GetString() == "system:serviceaccount:runai:workload-exporter");
        var requests = mine.GetProperty("requests").EnumerateArray().ToList();
        Assert.All(requests, r => Assert.True(r.GetProperty("denied").GetInt32() == 0, $"denied: {r}"));
        // It only reads: no write of any object but its own Lease and the Events on it.
        Assert.All(requests.Where(r => r.GetProperty("verb").GetString() is "create" or "update" or "patch" or "delete"),
            r => Assert.Contains(r.GetProperty("resource").GetString(), new[] { "leases", "events" }));
    }

    private static async Task<IReadOnlyList<V1Pod>> WorkersAsync(IKubernetes api) =>
        (await api.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: $"{KubeflowLabels.JobName}={Job},{KubeflowLabels.JobRole}={KubeflowLabels.RoleWorker}")).Items.ToList();
}
