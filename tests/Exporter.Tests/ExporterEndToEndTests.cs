using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

/// <summary>The component against a real (simulated) API server: informers in, HTTP out.</summary>
[Collection(Support.InProcessExporters.Name)] // the exporter's own health series are process-wide
public sealed class ExporterEndToEndTests(SimApi sim) : IClassFixture<SimApi>
{
    private static readonly string G = TrainingWorkload.KubeGroup, V = TrainingWorkload.KubeApiVersion, P = TrainingWorkload.KubePluralName;

    [Fact]
    public async Task WorkloadSeriesFollowTheApiAndVanishTheMomentTheWorkloadIsDeleted()
    {
        var api = sim.Admin;
        var ns = await api.NewNamespaceAsync();
        await api.CreateAsync(Objects.Project(ns + "-p", ns, 8, 16));
        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();

        var job = Objects.Training("train", ns, annotations: Objects.Annotations("Pending", requested: "4"));
        job.Metadata.CreationTimestamp = null;
        await api.CreateAsync(job);
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Find("runai_workload_status", ("workload", "train"), ("status", "pending"))?.Value == 1,
            "the new workload's pending state");
        var e = await exporter.ScrapeParsedAsync();
        Assert.Equal(ns + "-p", e.Find("runai_workload_requested_gpus", ("workload", "train"))!.Label("project"));
        Assert.Equal(1, e.Value("runai_project_pending_workloads", ("project", ns + "-p")));

        await api.AnnotateAsync(G, V, P, ns, "train", Objects.Annotations("Running", "4", "301508", "4", preemptions: "1")!);
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Find("runai_workload_gpu_allocation", ("workload", "train"))?.Value == 4,
            "the allocation annotation");
        e = await exporter.ScrapeParsedAsync();
        Assert.Equal(1, e.Value("runai_workload_status", ("workload", "train"), ("status", "running")));
        Assert.Equal(0, e.Value("runai_workload_status", ("workload", "train"), ("status", "pending")));
        Assert.Equal(4, e.Value("runai_project_allocated_gpus", ("project", ns + "-p")));
        Assert.Equal(1, e.Value("runai_workload_preemptions", ("workload", "train")));

        await api.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, ns, P, "train");
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Of("runai_workload_status").All(s => s.Label("workload") != "train"),
            "the deleted workload's series to vanish", 5);
        e = await exporter.ScrapeParsedAsync();
        Assert.DoesNotContain(e.Samples, s => s.Label("workload") == "train");
        Assert.Equal(0, e.Value("runai_project_allocated_gpus", ("project", ns + "-p")));
        Assert.True(e.Value("runai_exporter_event_to_series_seconds_count", ("kind", "trainingworkload")) >= 3);
    }

    [Fact]
    public async Task NodesAndPodsMakeTheNodeSeriesAndANodeVanishesWithItsObject()
    {
        var api = sim.Admin;
        var node = "n-" + Guid.NewGuid().ToString("N")[..8];
        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();
        await api.CoreV1.CreateNodeAsync(Objects.Node(node, gpus: 8));
        var ns = await api.NewNamespaceAsync();
        var pod = Objects.Pod("p0", ns, "train", "TrainingWorkload", node, "Running", 3);
        pod.Status = null;
        await api.CoreV1.CreateNamespacedPodAsync(pod, ns);
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Find("runai_node_allocated_gpus", ("node", node))?.Value == 3, "the pod's GPUs on its node");

        await api.CoreV1.DeleteNodeAsync(node);
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Find("runai_node_gpus", ("node", node)) is null, "the node's series to vanish", 5);
    }

    [Fact]
    public async Task OpenMetricsIsServedWhenAskedForAndEndsWithOneEof()
    {
        await using var exporter = await InProcessExporter.StartAsync(sim.Admin);
        await exporter.WaitUntilSyncedAsync();
        var (text, textType) = await exporter.ScrapeAsync("text/plain");
        Assert.StartsWith("text/plain; version=0.0.4", textType);
        Assert.DoesNotContain("# EOF", text);

        var (om, omType) = await exporter.ScrapeAsync("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
        Assert.StartsWith("application/openmetrics-text; version=1.0.0", omType);
        Assert.EndsWith("# EOF\n", om);
        Assert.Single(om.Split('\n'), l => l == "# EOF");
        Assert.True(Support.Exposition.Parse(om).HasEof);
    }

    [Fact]
    public async Task GzipIsServedWhenAskedForAndDecodesToTheSameSeries()
    {
        var api = sim.Admin;
        var ns = await api.NewNamespaceAsync();
        await api.CreateAsync(Objects.Project(ns + "-p", ns, 8, 16));
        for (var i = 0; i < 50; i++) await api.CreateAsync(Objects.Training($"train-{i}", ns, annotations: Objects.Annotations("Running", "2", "1000", "2")));
        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Of("runai_workload_info").Count(s => s.Label("namespace") == ns) == 50, "the 50 workloads");

        var (zipped, encoding, vary) = await exporter.ScrapeGzipAsync();
        Assert.Equal("gzip", encoding);
        Assert.Equal("Accept,Accept-Encoding", vary); // the two header values, as HttpClient splits them
        var decoded = Support.Exposition.Parse(zipped);
        Assert.True(decoded.HasEof);
        Assert.True(decoded.Value("runai_exporter_scrape_duration_seconds_count", ("format", "openmetrics"), ("encoding", "gzip")) >= 1);
        var plain = await exporter.ScrapeParsedAsync();
        // The same workload series either way (the clock-driven ones may have moved between the two scrapes).
        static IEnumerable<string> Fixed(Support.Exposition e, string ns) => e.Samples
            .Where(s => s.Name.StartsWith("runai_workload_", StringComparison.Ordinal) && s.Label("namespace") == ns && !s.Name.EndsWith("_seconds", StringComparison.Ordinal) && s.Name != "runai_workload_queue_time")
            .Select(s => $"{s.Name}{{{string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}"))}}} {s.Value}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(Fixed(plain, ns), Fixed(decoded, ns));
        Assert.Equal(50 * 9, decoded.Of("runai_workload_status").Count(s => s.Label("namespace") == ns));
    }

    [Fact]
    public async Task AStandbyServesNoWorkloadSeriesButItsOwnHealth()
    {
        var api = sim.Admin;
        var ns = await api.NewNamespaceAsync();
        await api.CreateAsync(Objects.Training("w", ns, annotations: Objects.Annotations("Running", "2")).WithoutCreationTime());
        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();
        Assert.Contains((await exporter.ScrapeParsedAsync()).Samples, s => s.Name == "runai_workload_status" && s.Label("namespace") == ns);

        await exporter.StopLeadingAsync();
        var e = await exporter.ScrapeParsedAsync();
        Assert.DoesNotContain(e.Samples, s => s.Name.StartsWith("runai_workload_", StringComparison.Ordinal) || s.Name.StartsWith("runai_node_", StringComparison.Ordinal));
        // Its health series stay (the registry is process-wide, shared here with the other tests' exporters).
        Assert.Contains(e.Samples, s => s.Name == "runai_exporter_synced");
        Assert.False(exporter.Exporter.Synced);
    }

    [Fact]
    public async Task AbsurdValuesNeverBreakTheExpositionAndAreCounted()
    {
        var api = sim.Admin;
        var ns = await api.NewNamespaceAsync();
        var absurd = "\"quoted\" \\ back\nslash\r\u0000 lone \uD800 " + new string('x', 20_000);
        var job = Objects.Training("absurd", ns, annotations: Objects.Annotations("Running\n", "4 GPUs", "-1", "NaN", preemptions: "twice")).WithoutCreationTime();
        job.Metadata.Labels.Clear();
        job.Metadata.Annotations["user"] = absurd;
        job.Spec.PriorityClassName = absurd;
        await api.CreateAsync(job);
        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();

        var (text, _) = await exporter.ScrapeAsync();
        var e = Support.Exposition.Parse(text); // strict: throws on a broken line, bad escape or duplicate
        var info = e.Find("runai_workload_info", ("workload", "absurd"), ("namespace", ns))!;
        Assert.Equal(Exporter.Exposition.LabelText.MaxLength, info.Label("user").Length);
        // The lone surrogate reaches the API as U+FFFD already (JSON encoders replace it); LabelTextTests covers one that arrives.
        Assert.StartsWith("\"quoted\" \\ back\nslash\uFFFD\uFFFD lone \uFFFD", info.Label("user"));
        Assert.All(e.Of("runai_workload_status").Where(s => s.Label("workload") == "absurd"), s => Assert.Equal(0, s.Value));
        Assert.Equal(0, e.Value("runai_workload_preemptions", ("workload", "absurd")));
        Assert.True(e.Value("runai_exporter_label_values_bounded_total", ("reason", "truncated")) >= 2);
        Assert.True(e.Value("runai_exporter_label_values_bounded_total", ("reason", "control_character")) >= 2);
        Assert.True(e.Value("runai_exporter_invalid_annotations", ("annotation", RunaiAnnotations.CurrentAllocatedGpus)) >= 1);
        Assert.True(e.Value("runai_exporter_invalid_annotations", ("annotation", RunaiAnnotations.CalculatedStatus)) >= 1);
        var (_, lint) = await Promtool.CheckMetricsAsync(text);
        Assert.DoesNotContain("error", lint, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("runai_", lint);
    }

    [Fact]
    public async Task NotReadyUntilEveryWatchHasListedAndTheReasonNamesWhatIsMissing()
    {
        using var refused = sim.ClientWithoutRights();
        await using var exporter = await InProcessExporter.StartAsync(refused);
        await Task.Delay(500);
        Assert.Equal(503, await exporter.ReadyStatusAsync());
        Assert.Contains("pod", exporter.Exporter.NotReady);
        Assert.False(exporter.Exporter.Synced);
    }
}

internal static class WorkloadTestExtensions
{
    public static TrainingWorkload WithoutCreationTime(this TrainingWorkload workload)
    {
        workload.Metadata.CreationTimestamp = null;
        return workload;
    }
}
