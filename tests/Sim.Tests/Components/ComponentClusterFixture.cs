using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Runai.Sim.Kubelet;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Components;

/// <summary>
/// A simulated cluster with one CPU node whose kubelet runs <see cref="StandInComponent.Image"/> as a real process,
/// plus helpers to deploy a stand-in component (ServiceAccount, Deployment, Service) the way deploy/components does.
/// </summary>
public sealed partial class ComponentClusterFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("runai-components-").FullName;
    private SimCluster? _cluster;

    internal SimCluster Cluster => _cluster ?? throw new InvalidOperationException("the cluster has not started");

    public Kubernetes Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var scenario = Path.Combine(_dir, "scenario.yaml");
        await File.WriteAllTextAsync(scenario, """
            apiVersion: sim.run.ai/v1alpha1
            kind: Scenario
            metadata:
              name: components
            nodes:
              - name: cpu-node-01
                cpu: "16"
            """);
        _cluster = await SimCluster.StartAsync(new SimClusterOptions
        {
            ScenarioPath = scenario,
            RunDirectory = Path.Combine(_dir, "run"),
            Images = ImageMap.Parse([StandInComponent.MapEntry(_dir), "test/unbuilt:dev=perl /nonexistent/unbuilt.pl"]),
        });
        Client = _cluster.CreateClient();
    }

    /// <summary>Creates ServiceAccount, Deployment (args --listen :8080, a readiness probe) and Service NAME in runai.</summary>
    public async Task DeployAsync(string name, int replicas = 1, string image = StandInComponent.Image)
    {
        await Cluster.ApplyAsync(
        [
            Yaml($$$"""
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "{{{name}}}", "namespace": "runai"}}
                """),
            Yaml($$$"""
                {"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": {"name": "{{{name}}}", "namespace": "runai", "labels": {"app": "{{{name}}}"}},
                 "spec": {"replicas": {{{replicas}}}, "selector": {"matchLabels": {"app": "{{{name}}}"}},
                  "template": {"metadata": {"labels": {"app": "{{{name}}}"}},
                   "spec": {"serviceAccountName": "{{{name}}}", "terminationGracePeriodSeconds": 5,
                    "containers": [{"name": "main", "image": "{{{image}}}",
                     "args": ["--component", "{{{name}}}", "--listen", ":8080", "--log-format", "json"],
                     "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"} } } ],
                     "ports": [{"name": "metrics", "containerPort": 8080}],
                     "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"}, "periodSeconds": 1} } ] } } } }
                """),
            Yaml($$$"""
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "{{{name}}}", "namespace": "runai"},
                 "spec": {"selector": {"app": "{{{name}}}"}, "ports": [{"name": "metrics", "port": 8080, "targetPort": "metrics"}]}}
                """),
        ]);
    }

    private static JsonObject Yaml(string json) => JsonNode.Parse(json)!.AsObject();

    /// <summary>The component's pods that are not being deleted.</summary>
    public async Task<IReadOnlyList<k8s.Models.V1Pod>> PodsAsync(string app)
    {
        var list = await Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: $"app={app}");
        return list.Items.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
    }

    /// <summary>Waits until exactly <paramref name="count"/> live pods of the app are ready; answers them.</summary>
    public async Task<IReadOnlyList<k8s.Models.V1Pod>> ReadyPodsAsync(string app, int count) =>
        await EventuallyAsync(async () =>
        {
            var all = await Client.CoreV1.ListNamespacedPodAsync("runai", labelSelector: $"app={app}");
            var ready = all.Items.Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.ContainerStatuses?.All(c => c.Ready) == true && p.Status.Phase == "Running").ToList();
            return ready.Count == count && all.Items.Count == count ? ready : null;
        }, $"{count} ready pod(s) of {app}");

    /// <summary>The pid the stand-in logged at its (latest) start.</summary>
    public async Task<int> PidOfAsync(k8s.Models.V1Pod pod) => int.Parse(
        await EventuallyAsync(async () =>
        {
            using var stream = await Client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), pod.Namespace());
            var text = await new StreamReader(stream).ReadToEndAsync();
            var matches = PidLine().Matches(text);
            return matches.Count > 0 ? matches[^1].Groups[1].Value : null;
        }, $"the stand-in's pid in the log of {pod.Name()}"), System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    public static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what, double seconds = 30) where T : class
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (await probe() is { } value) return value;
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or IOException)
            {
                last = e;
            }

            await Task.Delay(150);
        }

        throw new TimeoutException($"timed out waiting for {what}{(last is null ? "" : $" (last error: {last.Message})")}");
    }

    public static Task EventuallyAsync(Func<Task<bool>> probe, string what, double seconds = 30) =>
        EventuallyAsync<object>(async () => await probe() ? new object() : null, what, seconds);

    /// <summary>kubectl against this cluster (a fresh discovery cache per fixture).</summary>
    public async Task<KubectlResult> KubectlAsync(params string[] args)
    {
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(Cluster.KubeconfigPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECACHEDIR"] = Path.Combine(_dir, "kubectl-cache");
        psi.Environment["HOME"] = _dir;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await p.WaitForExitAsync(timeout.Token);
        return new KubectlResult(p.ExitCode, await stdout, await stderr);
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_cluster is not null) await _cluster.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    [GeneratedRegex(@"stand-in pid (\d+) listening")]
    private static partial Regex PidLine();
}
