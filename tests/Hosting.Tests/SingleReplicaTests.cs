using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Runai.Core;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>One replica against the simulated cluster: it takes the lease and says so everywhere an operator looks.</summary>
public sealed class SingleReplicaTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private const string Component = RunaiComponents.WorkloadController;

    [Fact]
    public async Task AReplicaTakesItsLeaseAndShowsItInTheLeaseMetricsProbesAndLog()
    {
        await using var replica = await Replicas.StartAsync(sim.AdminKubeconfig, Component, "replica-a");
        await Replicas.LeadsAsync(replica, Component, TimeSpan.FromSeconds(15));

        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(Component, RunaiComponents.Namespace);
        Assert.Equal("replica-a", lease.Spec.HolderIdentity);
        Assert.Equal(15, lease.Spec.LeaseDurationSeconds);

        var (exit, stdout, stderr) = await Kubectl.RunAsync(sim.AdminKubeconfig, "get", "lease", "-n", "runai");
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"(?m)^workload-controller\s+replica-a\s", stdout);

        var metrics = (await replica.GetAsync("/metrics")).Body;
        Assert.Equal(1, Metrics.Sample(metrics, "runai_controller_leader{component=\"workload-controller\"}"));
        Assert.Equal(1, Metrics.Sample(metrics, "runai_controller_leader_transitions_total{component=\"workload-controller\",transition=\"acquired\"}"));
        Assert.Contains("process_cpu_seconds_total", metrics);
        Assert.Contains("dotnet_collection_count_total", metrics);

        Assert.Equal((HttpStatusCode.OK, "ok\n"), await replica.GetAsync("/healthz"));
        Assert.Equal((HttpStatusCode.OK, "ok: leading as replica-a\n"), await replica.GetAsync("/readyz"));
        Assert.True(replica.OutputContains("replica-a became the leader of workload-controller"), replica.Output);
        Assert.True(replica.OutputContains("workload-controller leads as replica-a: projects, Run:ai workloads and MPIJob annotations"), replica.Output);

        var events = await sim.Admin.CoreV1.ListNamespacedEventAsync(RunaiComponents.Namespace);
        Assert.Contains(events.Items, e => e.Reason == "LeaderElection" && e.InvolvedObject.Name == Component && e.Message == "replica-a became leader");

        replica.Terminate();
        Assert.Equal(0, await replica.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var released = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(Component, RunaiComponents.Namespace);
        Assert.Equal("", released.Spec.HolderIdentity);
    }

    [Fact]
    public async Task TheExporterExecutableHostsTheWorkloadExporterAndLogsJson()
    {
        await using var replica = await Replicas.StartAsync(sim.AdminKubeconfig, RunaiComponents.WorkloadExporter, "exporter-a", "--log-format", "json");
        await Replicas.LeadsAsync(replica, RunaiComponents.WorkloadExporter, TimeSpan.FromSeconds(15));

        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(RunaiComponents.WorkloadExporter, RunaiComponents.Namespace);
        Assert.Equal("exporter-a", lease.Spec.HolderIdentity);

        var lines = replica.Output.Split('\n').Where(l => l.Length > 0).ToList();
        Assert.All(lines, l => Assert.Equal("workload-exporter", (string?)JsonNode.Parse(l)!["component"]));
        Assert.Contains(lines, l => (string?)JsonNode.Parse(l)!["@mt"] == "{Identity} became the leader of {Component} (lease {Lease})");

        // As Prometheus asks by default: gzip, and the same exposition once decoded.
        var (status, encoding, body) = await replica.GetEncodedAsync("/metrics", "gzip");
        Assert.Equal((HttpStatusCode.OK, "gzip"), (status, encoding));
        using var gunzip = new StreamReader(new GZipStream(new MemoryStream(body), CompressionMode.Decompress));
        var decoded = await gunzip.ReadToEndAsync();
        Assert.Equal(1, Metrics.Sample(decoded, "runai_controller_leader{component=\"workload-exporter\"}"));
        Assert.Contains("# TYPE runai_exporter_synced gauge", decoded);
        var (_, identity, plain) = await replica.GetEncodedAsync("/metrics", "identity");
        Assert.Null(identity);
        Assert.Equal(1, Metrics.Sample(Encoding.UTF8.GetString(plain), "runai_controller_leader{component=\"workload-exporter\"}"));
    }
}
