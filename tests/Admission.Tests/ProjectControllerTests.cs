using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Projects;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Core.Runtime;
using Runai.Hosting.Tests.Support;
using Runai.Sim;

namespace Runai.Admission.Tests;

/// <summary>The Project controller against the simulated API: namespaces created and labelled, bad specs and rival claims reported.</summary>
public sealed class ProjectControllerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private SimCluster _cluster = null!;
    private Kubernetes _api = null!;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions { StartWorkloadSimulation = false });
        _api = _cluster.CreateClient();
        var informers = new InformerFactory(_api, RunaiComponents.WorkloadController, NullLoggerFactory.Instance);
        var controller = ProjectController.Create(informers, NullLoggerFactory.Instance);
        _running = Task.WhenAll(informers.RunAsync(_stop.Token), controller.RunAsync(_stop.Token));
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        _api.Dispose();
        await _cluster.DisposeAsync();
    }

    private Task CreateAsync(string name, string? ns = null, int quota = 4, int? limit = null) =>
        _api.CustomObjects.CreateClusterCustomObjectAsync(new Project
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new ProjectSpec { Namespace = ns, Gpus = new ProjectGpus { Quota = quota, Limit = limit is null ? null : GpuQuantity.FromDevices(limit.Value) } },
        }, Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName);

    private async Task<ResourceCondition?> ConditionAsync(string project, string type)
    {
        var json = await _api.CustomObjects.GetClusterCustomObjectAsync(Project.KubeGroup, Project.KubeApiVersion, Project.KubePluralName, project);
        var p = KubernetesJson.Deserialize<Project>(KubernetesJson.Serialize(json));
        return p.Status?.Conditions.Find(type);
    }

    private Task WaitForAsync(string project, string type, string status, string? reason) =>
        Eventually.HoldsAsync(async () => await ConditionAsync(project, type) is { } c && c.Status == status && (reason is null || c.Reason == reason),
            Timeout, () => $"project {project} has {type}={status} ({reason})");

    [Fact]
    public async Task AProjectWithoutANamespaceGetsRunaiNameLabelledAsItsQueue()
    {
        await CreateAsync("alpha");
        await WaitForAsync("alpha", ProjectConditionTypes.NamespaceReady, ConditionStatus.True, null);
        var ns = await _api.CoreV1.ReadNamespaceAsync("runai-alpha");
        Assert.Equal("alpha", ns.Metadata.Labels[ProjectReconciler.QueueLabel]);
        Assert.Equal("alpha", ns.Metadata.Labels[RunaiLabels.Project]);
        Assert.Equal(ConditionStatus.True, (await ConditionAsync("alpha", ProjectConditionTypes.Valid))!.Status);
    }

    [Fact]
    public async Task AnExistingNamespaceIsLabelledAndRelabelledAfterAnEdit()
    {
        await _api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-b" } });
        await CreateAsync("beta", "team-b");
        await WaitForAsync("beta", ProjectConditionTypes.NamespaceReady, ConditionStatus.True, "Bound");
        Assert.Equal("beta", (await _api.CoreV1.ReadNamespaceAsync("team-b")).Metadata.Labels[ProjectReconciler.QueueLabel]);

        await _api.CoreV1.PatchNamespaceAsync(new V1Patch("""{"metadata":{"labels":{"runai/queue":"someone-else"}}}""", V1Patch.PatchType.MergePatch), "team-b");
        await Eventually.HoldsAsync(async () => (await _api.CoreV1.ReadNamespaceAsync("team-b")).Metadata.Labels[ProjectReconciler.QueueLabel] == "beta",
            Timeout, () => "the queue label is put back");
    }

    [Fact]
    public async Task ALimitBelowQuotaIsReportedAndNoNamespaceIsMade()
    {
        await CreateAsync("gamma", quota: 8, limit: 4);
        await WaitForAsync("gamma", ProjectConditionTypes.Valid, ConditionStatus.False, "LimitBelowQuota");
        Assert.Contains("gpus.limit (4) is below gpus.quota (8)", (await ConditionAsync("gamma", ProjectConditionTypes.Valid))!.Message);
        var namespaces = await _api.CoreV1.ListNamespaceAsync();
        Assert.DoesNotContain(namespaces.Items, n => n.Metadata.Name == "runai-gamma");
    }

    [Fact]
    public async Task TheYoungerOfTwoProjectsClaimingANamespaceSaysWhoOwnsIt()
    {
        await CreateAsync("first", "shared-ns");
        await WaitForAsync("first", ProjectConditionTypes.NamespaceReady, ConditionStatus.True, null);
        await Task.Delay(1100); // creation timestamps have whole seconds
        await CreateAsync("second", "shared-ns");
        await WaitForAsync("second", ProjectConditionTypes.Valid, ConditionStatus.False, "NamespaceConflict");
        Assert.Contains("belongs to project first", (await ConditionAsync("second", ProjectConditionTypes.Valid))!.Message);
        Assert.Equal("first", (await _api.CoreV1.ReadNamespaceAsync("shared-ns")).Metadata.Labels[ProjectReconciler.QueueLabel]);
    }
}
