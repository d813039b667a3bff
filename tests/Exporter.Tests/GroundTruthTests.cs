using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

/// <summary>
/// Ground truth: a few hundred workloads driven through random lifecycles (the test plays workload-controller, the
/// scheduler, the kubelets and the overseer, writing what they write), some with garbage annotations; at the end every
/// value the exporter serves is compared with what the API objects say, computed here from a fresh list.
/// </summary>
[Collection(Support.InProcessExporters.Name)] // the exporter's own health series are process-wide
public sealed class GroundTruthTests(SimApi sim) : IClassFixture<SimApi>
{
    private const int Workloads = 240, Nodes = 12, Projects = 4;
    private static readonly string G = WorkloadKinds.RunaiGroup, V = WorkloadKinds.RunaiVersion;

    [Fact]
    public async Task EveryExportedValueMatchesTheApiObjectsAfterRandomLifecycles()
    {
        var api = sim.Admin;
        var run = Guid.NewGuid().ToString("N")[..6];
        var namespaces = new List<string>();
        for (var p = 0; p < Projects; p++)
        {
            var ns = await api.NewNamespaceAsync("gt" + p);
            namespaces.Add(ns);
            await api.CreateAsync(Objects.Project($"gt-{run}-{p}", ns, 4 + p * 4, p % 2 == 0 ? 32 : null));
        }

        var nodes = Enumerable.Range(0, Nodes).Select(n => $"gt-{run}-node-{n:D2}").ToList();
        foreach (var node in nodes) await api.CoreV1.CreateNodeAsync(Objects.Node(node, gpus: 8, memoryMiB: 81559));

        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();

        var seed = Environment.TickCount;
        await Parallel.ForEachAsync(Enumerable.Range(0, Workloads), new ParallelOptions { MaxDegreeOfParallelism = 12 }, async (w, _) =>
            await new Story(api, new Random(seed + w), $"w-{w:D3}", namespaces[w % Projects], nodes).PlayAsync());

        var expected = await GroundTruth.ReadAsync(api, namespaces, nodes);
        List<string> differences = [];
        await Wait.UntilAsync(async () =>
        {
            differences = expected.Compare(await exporter.ScrapeParsedAsync(), DateTimeOffset.UtcNow);
            return differences.Count == 0;
        }, "the exporter to agree with the API objects", 20).ContinueWith(t =>
        {
            if (t.IsFaulted) Assert.Fail($"seed {seed}: {differences.Count} differences, e.g.\n{string.Join('\n', differences.Take(20))}");
        });
        Assert.True(expected.Workloads.Count > Workloads / 4, $"only {expected.Workloads.Count} workloads survived; the stories should keep most");
    }

    /// <summary>One workload's random life, as the components would write it.</summary>
    private sealed class Story(IKubernetes api, Random random, string name, string ns, IReadOnlyList<string> nodes)
    {
        private readonly bool _training = random.Next(3) > 0;
        private readonly int _pods = random.Next(1, 4);
        private readonly int _gpus = random.Next(1, 3);
        private readonly bool _garbage = random.Next(10) == 0;
        private int _preemptions;
        private List<string> _podNames = [];
        private string Plural => _training ? TrainingWorkload.KubePluralName : RunaiJob.KubePluralName;
        private string Kind => _training ? TrainingWorkload.KubeKind : RunaiJob.KubeKind;
        private int Pods => _training ? _pods : 1;

        public async Task PlayAsync()
        {
            var body = new Dictionary<string, object>
            {
                ["apiVersion"] = $"{G}/{V}", ["kind"] = Kind,
                ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["namespace"] = ns, ["labels"] = new Dictionary<string, string> { ["user"] = "u" + random.Next(5) } },
                ["spec"] = _training
                    ? new Dictionary<string, object> { ["image"] = "x", ["gpus"] = _gpus, ["workers"] = _pods }
                    : new Dictionary<string, object> { ["image"] = "x", ["gpus"] = _gpus },
            };
            await api.CustomObjects.CreateNamespacedCustomObjectAsync(body, G, V, ns, Plural);
            await AnnotateAsync("Pending", allocated: 0);
            var steps = random.Next(1, 6);
            for (var s = 0; s < steps; s++)
            {
                switch (random.Next(6))
                {
                    case 0 or 1: await RunAsync(); break;
                    case 2: await PreemptAsync(); break;
                    case 3: await FinishAsync(random.Next(2) == 0 ? "Succeeded" : "Failed"); return;
                    case 4 when random.Next(3) == 0: await DeleteAsync(); return;
                    default: await AnnotateAsync(random.Next(2) == 0 ? "Pending" : "Initializing", allocated: 0); break;
                }
            }
        }

        private async Task RunAsync()
        {
            if (_podNames.Count > 0) return;
            var started = Now();
            for (var i = 0; i < Pods; i++)
            {
                var pod = Objects.Pod($"{name}-{_preemptions}-{i}", ns, name, Kind, nodes[random.Next(nodes.Count)], "Running", _gpus);
                pod.Status = null;
                pod.Metadata.Labels[RunaiLabels.Project] = "";
                pod.Metadata.Labels.Remove(RunaiLabels.Project);
                await api.CoreV1.CreateNamespacedPodAsync(pod, ns);
                await api.CoreV1.PatchNamespacedPodStatusAsync(Patch(new { status = new { phase = "Running", startTime = started } }), pod.Metadata.Name, ns);
                _podNames.Add(pod.Metadata.Name);
            }

            await api.PatchStatusAsync(G, V, Plural, ns, name, new
            {
                phase = "Running", startTime = started,
                conditions = new[] { new { type = "Scheduled", status = "True", lastTransitionTime = started } },
            });
            await AnnotateAsync("Running", allocated: Pods * _gpus);
        }

        private async Task PreemptAsync()
        {
            foreach (var pod in _podNames) await api.CoreV1.DeleteNamespacedPodAsync(pod, ns, gracePeriodSeconds: 0);
            _podNames = [];
            _preemptions++;
            await api.PatchStatusAsync(G, V, Plural, ns, name, new
            {
                phase = "Pending",
                conditions = new[]
                {
                    new { type = "Scheduled", status = "False", lastTransitionTime = Now() },
                    new { type = "Running", status = "False", lastTransitionTime = Now() },
                },
            });
            await AnnotateAsync("Pending", allocated: 0);
        }

        private async Task FinishAsync(string phase)
        {
            await RunAsync();
            foreach (var pod in _podNames) await api.CoreV1.PatchNamespacedPodStatusAsync(Patch(new { status = new { phase } }), pod, ns);
            var status = phase == "Succeeded" ? WorkloadStatus.Completed : WorkloadStatus.Failed;
            await api.PatchStatusAsync(G, V, Plural, ns, name, new { phase = status, completionTime = Now() });
            await AnnotateAsync(status, allocated: 0);
        }

        private async Task DeleteAsync()
        {
            await api.CustomObjects.DeleteNamespacedCustomObjectAsync(G, V, ns, Plural, name);
            foreach (var pod in _podNames) await api.CoreV1.DeleteNamespacedPodAsync(pod, ns, gracePeriodSeconds: 0);
        }

        private Task AnnotateAsync(string status, int allocated)
        {
            var annotations = new Dictionary<string, string?>
            {
                [RunaiAnnotations.CalculatedStatus] = status,
                [RunaiAnnotations.CurrentAllocatedGpus] = allocated.ToString(CultureInfo.InvariantCulture),
                [RunaiAnnotations.TotalRequestedGpus] = (Pods * _gpus).ToString(CultureInfo.InvariantCulture),
                [RunaiExtraAnnotations.Preemptions] = _preemptions.ToString(CultureInfo.InvariantCulture),
                // Memory only sometimes: without it the exporter counts its nodes' GPU memory.
                [RunaiAnnotations.CurrentAllocatedGpusMemory] = random.Next(2) == 0 ? (allocated * 81559L).ToString(CultureInfo.InvariantCulture) : null,
            };
            if (_garbage)
            {
                // What a broken writer might leave: values the exporter must not trust, must count, and must survive.
                annotations[random.Next(2) == 0 ? RunaiAnnotations.CurrentAllocatedGpus : RunaiAnnotations.CalculatedStatus] = random.Next(2) == 0 ? "lots\n\"of\"" : "-1";
                annotations[RunaiExtraAnnotations.Preemptions] = "\uFFFF\u0000" + new string('9', 40);
            }

            return api.AnnotateAsync(G, V, Plural, ns, name, annotations);
        }

        private static string Now() => DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        private static V1Patch Patch(object body) => new(JsonSerializer.Serialize(body), V1Patch.PatchType.MergePatch);
    }
}
