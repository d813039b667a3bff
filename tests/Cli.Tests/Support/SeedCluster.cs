using System.Text;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Controllers.Workloads;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Resources;
using Runai.Sim;

namespace Runai.Cli.Tests.Support;

/// <summary>
/// The seed scenario on a simulated cluster (kubelets, default scheduler, MPI operator stand-in) with the real
/// workload-controller keeping the annotations, and a way to run <c>runai</c> against it in-process.
/// </summary>
public sealed class SeedCluster : IAsyncLifetime
{
    private SimCluster? _cluster;
    private readonly CancellationTokenSource _leading = new();
    private Task? _controller;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Admin { get; private set; } = null!;

    public string Kubeconfig => Cluster.KubeconfigPath;

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Path.Combine(Repo.Root, "sim", "scenarios", "seed.yaml"),
            StartWorkloadSimulation = true,
        });
        Admin = _cluster.CreateClient();
        var context = new ComponentContext(RunaiComponents.WorkloadController, "cli-tests", Admin, NullLoggerFactory.Instance, new NoServices());
        _controller = Task.Run(() => new WorkloadControllerComponent().RunAsync(context, _leading.Token));
    }

    /// <summary>Runs <c>runai ARGS --kubeconfig …</c> in-process.</summary>
    public Task<CliResult> RunAsync(params string[] args) => RunWithAsync(Kubeconfig, args);

    public static async Task<CliResult> RunWithAsync(string? kubeconfig, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var all = kubeconfig is null ? args : [.. args, "--kubeconfig", kubeconfig];
        var code = await CliApp.RunAsync(all, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Waits until workload-controller has annotated the seed MPIJob Running with both workers.</summary>
    public async Task SeedJobRunningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var job = await Admin.CustomObjects.GetNamespacedCustomObjectAsync<MpiJob>(MpiJob.KubeGroup, MpiJob.KubeApiVersion, "my-project", MpiJob.KubePluralName, "nccl-roce-validation");
            var a = job.Metadata.Annotations;
            if (a is not null && a.TryGetValue(RunaiAnnotations.CalculatedStatus, out var s) && s == WorkloadStatus.Running
                && a.TryGetValue(RunaiAnnotations.RunningPods, out var r) && r == "2"
                && a.TryGetValue(RunaiAnnotations.CurrentAllocatedGpusMemory, out var m) && m == "301508") return;
            await Task.Delay(50);
        }

        Assert.Fail("the seed MPIJob was not annotated Running within 30 s");
    }

    public async Task DisposeAsync()
    {
        await _leading.CancelAsync();
        if (_controller is not null) await _controller;
        Admin?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        _leading.Dispose();
    }

    private sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => new StringBuilder().Append("exit ").Append(ExitCode).Append("\nstdout:\n").Append(Stdout).Append("stderr:\n").Append(Stderr).ToString();
}

internal static class Repo
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Observability.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("the repository root (Observability.sln) is not above " + AppContext.BaseDirectory);
        }
    }
}
