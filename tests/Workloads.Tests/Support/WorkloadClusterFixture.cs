using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Workloads;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Yaml;
using Runai.Sim;

namespace Runai.Workloads.Tests.Support;

/// <summary>
/// The seed scenario on a simulated cluster with kubelets, the default scheduler and the MPI operator stand-in, and
/// the real workload-controller running in-process under its own ServiceAccount with the ClusterRole of
/// <c>deploy/components/workload-controller.yaml</c>, so the tests also prove that RBAC is enough.
/// </summary>
public sealed class WorkloadClusterFixture : IAsyncLifetime
{
    /// <summary>An image whose process exits 0 after 3 s.</summary>
    public const string FinishingImage = "runai-test/sleep:1";

    /// <summary>An image whose process exits 3 after a second.</summary>
    public const string FailingImage = "runai-test/fail:1";

    private SimCluster? _cluster;
    private CancellationTokenSource? _leading;
    private Task? _controller;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    /// <summary>The test's own hand on the cluster (admin).</summary>
    public Kubernetes Admin { get; private set; } = null!;

    public string KubeconfigPath => Cluster.KubeconfigPath;

    /// <summary>The controller's client, as its ServiceAccount.</summary>
    public Kubernetes ControllerClient { get; private set; } = null!;

    /// <summary>Stands in for runai-scheduler: binds this fixture's runai-scheduler pods (see <see cref="PodBinder"/>).</summary>
    internal PodBinder Binder { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(AnnotationValuesTests.RepoRoot(), "sim", "scenarios", "seed.yaml"),
            StartWorkloadSimulation = true,
            // Process-backed images: workers that finish (exit 0) or fail (exit 3) after a moment. The kubelet appends
            // the container's args (and a --kubeconfig) after the script, where sh ignores them.
            Images = Runai.Sim.Kubelet.ImageMap.Parse([$"{FinishingImage}=/bin/sh -c 'sleep 3'", $"{FailingImage}=/bin/sh -c 'sleep 1; exit 3'"]),
        });
        Admin = _cluster.CreateClient();
        var manifest = KubeYaml.ReadObjectsFromFile(Path.Combine(AnnotationValuesTests.RepoRoot(), "deploy", "components", "workload-controller.yaml"));
        await _cluster.ApplyAsync(manifest.Where(o => (string?)o["kind"] is "ServiceAccount" or "ClusterRole" or "ClusterRoleBinding"));
        ControllerClient = _cluster.CreateClient(_cluster.IssueServiceAccountToken(RunaiComponents.Namespace, RunaiComponents.WorkloadController));
        // Process-backed pods run under their namespace's default ServiceAccount, as a real namespace has one.
        try
        {
            await Admin.CoreV1.CreateNamespacedServiceAccountAsync(new k8s.Models.V1ServiceAccount { Metadata = new() { Name = "default" } }, "my-project");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
        }

        Binder = new PodBinder(Admin);
        Binder.Start();
        StartController();
    }

    /// <summary>Starts workload-controller as if this replica had just won the lease.</summary>
    public void StartController()
    {
        _leading = new CancellationTokenSource();
        var context = new ComponentContext(RunaiComponents.WorkloadController, "test", ControllerClient, NullLoggerFactory.Instance, new NoServices());
        _controller = Task.Run(() => new WorkloadControllerComponent().RunAsync(context, _leading.Token));
    }

    public async Task StopControllerAsync()
    {
        if (_leading is null || _controller is null) return;
        await _leading.CancelAsync();
        await _controller;
        _leading.Dispose();
        _leading = null;
    }

    /// <summary>Creates a namespaced custom object from a JSON body as the admin.</summary>
    public Task CreateAsync(WorkloadKindInfo kind, string ns, JsonObject body) =>
        Admin.CustomObjects.CreateNamespacedCustomObjectAsync(body, kind.Group, kind.Version, ns, kind.Plural);

    public async Task DisposeAsync()
    {
        await StopControllerAsync();
        await Binder.DisposeAsync();
        Admin?.Dispose();
        ControllerClient?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
