using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Runai.Core;
using Runai.Core.Resources;

namespace Runai.Workloads.Tests.Support;

/// <summary>Creating, reading and watching Run:ai workloads in the test cluster.</summary>
internal static class Workloads
{
    public const string ProjectNamespace = "my-project";

    public static JsonObject Body(WorkloadKindInfo kind, string name, JsonObject spec, string ns = ProjectNamespace) => new()
    {
        ["apiVersion"] = kind.ApiVersion,
        ["kind"] = kind.Kind,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = spec,
    };

    public static Task SubmitAsync(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, JsonObject spec, string ns = ProjectNamespace) =>
        f.Admin.CustomObjects.CreateNamespacedCustomObjectAsync(Body(kind, name, spec, ns), kind.Group, kind.Version, ns, kind.Plural);

    public static Task<T> GetAsync<T>(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, string ns = ProjectNamespace) =>
        f.Admin.CustomObjects.GetNamespacedCustomObjectAsync<T>(kind.Group, kind.Version, ns, kind.Plural, name);

    public static Task PatchSpecAsync(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, string specJson, string ns = ProjectNamespace) =>
        f.Admin.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch($"{{\"spec\":{specJson}}}", V1Patch.PatchType.MergePatch),
            kind.Group, kind.Version, ns, kind.Plural, name);

    public static async Task DeleteAsync(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, string ns = ProjectNamespace)
    {
        try
        {
            await f.Admin.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, ns, kind.Plural, name);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>The <c>runai-calculated-status</c> annotation of a workload, or null.</summary>
    public static async Task<string?> StatusAsync(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, string ns = ProjectNamespace)
    {
        var o = await f.GetAsync<JsonObject>(kind, name, ns);
        return (string?)o["metadata"]?["annotations"]?[RunaiAnnotations.CalculatedStatus];
    }

    public static async Task UntilStatusAsync(this WorkloadClusterFixture f, WorkloadKindInfo kind, string name, string status, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (await f.StatusAsync(kind, name) != status)
        {
            if (DateTime.UtcNow > deadline)
            {
                // Say what the workload and its pods look like, so a failure explains itself.
                var o = await f.GetAsync<JsonObject>(kind, name);
                var pods = string.Join("; ", (await f.PodsOfAsync(name)).Select(p =>
                    $"{p.Metadata.Name} {p.Status?.Phase} on {p.Spec?.NodeName ?? "(unbound)"} {string.Join(",", p.Status?.ContainerStatuses?.Select(c => c.State?.Terminated?.Reason ?? c.State?.Waiting?.Reason ?? "") ?? [])}"));
                Assert.Fail($"timed out after {seconds} s waiting for {kind.Kind} {name} to read {status}: annotations {o["metadata"]?["annotations"]?.ToJsonString()}, status {o["status"]?.ToJsonString()}, pods: {pods}");
            }

            await Task.Delay(20);
        }
    }

    public static async Task<IReadOnlyList<V1Pod>> PodsOfAsync(this WorkloadClusterFixture f, string name, string ns = ProjectNamespace) =>
        (await f.Admin.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{RunaiLabels.WorkloadName}={name}")).Items.ToList();

    public static async Task<IReadOnlyList<Corev1Event>> EventsAboutAsync(this WorkloadClusterFixture f, string name, string ns = ProjectNamespace) =>
        (await f.Admin.CoreV1.ListNamespacedEventAsync(ns)).Items.Where(e => e.InvolvedObject?.Name == name).ToList();

    public static ResourceCondition? Condition(this RunaiWorkloadStatus? status, string type) => status?.Conditions.Find(type);
}

/// <summary>Samples a workload's calculated status every 10 ms and keeps each distinct value in the order seen.</summary>
internal sealed class StatusRecorder : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _seen = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public StatusRecorder(WorkloadClusterFixture fixture, WorkloadKindInfo kind, string name)
    {
        _loop = Task.Run(async () =>
        {
            string? last = null;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var status = await fixture.StatusAsync(kind, name);
                    if (status is not null && status != last) _seen.Enqueue(last = status);
                }
                catch (k8s.Autorest.HttpOperationException)
                {
                    // Not created yet, or gone.
                }

                await Task.Delay(10);
            }
        });
    }

    public IReadOnlyList<string> Seen => [.. _seen];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
