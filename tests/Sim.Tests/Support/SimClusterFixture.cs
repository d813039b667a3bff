using System.Diagnostics;
using k8s;

namespace Runai.Sim.Tests.Support;

/// <summary>
/// A real simulated cluster on a loopback port for a test class: the HTTPS API with its CA, an admin kubeconfig,
/// a KubernetesClient and a way to run Debian's kubectl against it. Workload simulation (kubelets, scheduler,
/// MPI operator) is off unless a derived fixture turns it on.
/// </summary>
public class SimClusterFixture : IAsyncLifetime
{
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Client { get; private set; } = null!;

    public string KubeconfigPath => Cluster.KubeconfigPath;

    /// <summary>A scenario file to load, relative to the test output directory; null for an empty cluster.</summary>
    protected virtual string? Scenario => null;

    protected virtual bool WorkloadSimulation => false;

    internal virtual Api.ApiServerOptions ApiOptions => new() { BookmarkInterval = TimeSpan.FromSeconds(1) };

    public async Task InitializeAsync()
    {
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = Scenario is null ? null : Path.Combine(AppContext.BaseDirectory, Scenario),
            StartWorkloadSimulation = WorkloadSimulation,
            Api = ApiOptions,
        });
        Client = _cluster.CreateClient();
    }

    /// <summary>A client acting as the given service account (the account need not exist; its RBAC decides).</summary>
    public Kubernetes ClientFor(string ns, string serviceAccount) =>
        Cluster.CreateClient(Cluster.IssueServiceAccountToken(ns, serviceAccount));

    /// <summary>Runs kubectl with this cluster's kubeconfig; fails the test if kubectl is missing.</summary>
    public async Task<KubectlResult> KubectlAsync(params string[] args) => await KubectlWithInputAsync(null, args);

    public async Task<KubectlResult> KubectlWithInputAsync(string? stdin, params string[] args)
    {
        var kubectl = File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl";
        var psi = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(KubeconfigPath);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // kubectl keeps a discovery cache; a fresh one per fixture keeps runs independent.
        psi.Environment["KUBECACHEDIR"] = Path.Combine(Cluster.RunDirectory, "kubectl-cache");
        psi.Environment["HOME"] = Cluster.RunDirectory;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("kubectl could not be started; install kubernetes-client");
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }

        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return new KubectlResult(p.ExitCode, await stdout, await stderr);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>The seed scenario with kubelets, the default scheduler and the MPI operator stand-in running.</summary>
public sealed class SeedClusterFixture : SimClusterFixture
{
    protected override string? Scenario => "scenarios/seed.yaml";

    protected override bool WorkloadSimulation => true;
}
