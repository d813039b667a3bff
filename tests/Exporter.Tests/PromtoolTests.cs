using System.Text;
using Prometheus;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Exporter.Model;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

public sealed class PromtoolTests
{
    private static readonly DateTimeOffset Now = new(Objects.T0.AddMinutes(10));

    /// <summary>Every family filled, including objects whose names and annotations are as bad as the API lets them be.</summary>
    private static ClusterModel Populated()
    {
        var model = new ClusterModel();
        model.SetProject(ProjectFacts.From(Objects.Project("team", "team", 8, 16)));
        model.SetNode(NodeFacts.From(Objects.Node("n1")));
        var absurd = "quote \" backslash \\ newline \n tab \t nul \0 lone \uD800 " + new string('x', 5000);
        foreach (var (name, status) in new[] { ("train", "Running"), ("wait", "Pending"), ("done", "Completed"), ("junk", "no such status") })
        {
            var job = Objects.Training(name, "team", annotations: Objects.Annotations(status, "2", "150754", "4", preemptions: "1"));
            job.Metadata.Labels["user"] = name == "junk" ? absurd : "alice";
            job.Spec.PriorityClassName = name == "junk" ? absurd : "train";
            model.SetWorkload(WorkloadFacts.From(job));
        }

        model.SetPod(PodFacts.From(Objects.Pod("train-0", "team", "train", "TrainingWorkload", "n1", "Running", 2)));
        model.SetDeployment("workload-controller", 1, 1);
        model.SetDaemonSet("runai-node-exporter", 8, 8);
        model.SetLease("workload-exporter", absurd, Now);
        return model;
    }

    [Fact]
    public async Task PromtoolFindsNothingToSayAboutAnyRunaiSeries()
    {
        var text = new StringBuilder(Render.Text(Populated(), Now));
        using (var registry = new MemoryStream())
        {
            // The health series the same response carries after the workload series.
            _ = ExporterMetrics.ScrapeDuration;
            await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(registry);
            text.Append(Encoding.UTF8.GetString(registry.ToArray()));
        }

        // The test process keeps prometheus-net's .NET event-counter series (the host suppresses them), which promtool
        // lints; what matters is that it parsed everything and says nothing about any runai_ series.
        var (_, output) = await Promtool.CheckMetricsAsync(text.ToString());
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("runai_", output);
        // And the text parses strictly: every family once, no duplicate series, absurd values escaped.
        var parsed = Support.Exposition.Parse(text.ToString());
        Assert.Contains(parsed.Samples, s => s.Name == "runai_workload_info" && s.Label("user").Length == Exporter.Exposition.LabelText.MaxLength);
        Assert.Contains("runai_exporter_scrape_duration_seconds", parsed.Types.Keys);
    }

    [Fact]
    public void EveryFamilyOfTheSpecIsPresentWithHelpThatStatesItsUnitOrMeaning()
    {
        var parsed = Support.Exposition.Parse(Render.Text(Populated(), Now));
        string[] spec =
        [
            "runai_workload_status", "runai_workload_gpu_allocation", "runai_workload_runtime_seconds", "runai_workload_queue_time",
            "runai_workload_preemptions", "runai_workload_info", "runai_workload_requested_gpus", "runai_workload_allocated_gpu_memory_bytes",
            "runai_workload_pods", "runai_project_gpu_quota", "runai_project_gpu_limit", "runai_project_allocated_gpus",
            "runai_project_over_quota_gpus", "runai_project_pending_workloads", "runai_node_gpus", "runai_node_allocated_gpus",
            "runai_component_replicas", "runai_component_container_restarts", "runai_component_last_restart_timestamp_seconds",
            "runai_daemonset_nodes", "runai_lease_renew_age_seconds", "runai_lease_info",
        ];
        foreach (var family in spec)
        {
            Assert.Equal("gauge", parsed.Types[family]);
            Assert.False(string.IsNullOrWhiteSpace(parsed.Help[family]), family);
        }

        Assert.Contains("seconds", parsed.Help["runai_workload_queue_time"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(WorkloadStatus.AllMetricValues.Order(), parsed.Of("runai_workload_status").Where(s => s.Label("workload") == "train").Select(s => s.Label("status")).Order());
    }
}
