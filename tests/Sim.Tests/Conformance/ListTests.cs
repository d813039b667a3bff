using k8s;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;
using static Runai.Sim.Tests.Conformance.Support.Manifests;

namespace Runai.Sim.Tests.Conformance;

/// <summary>Label and field selectors, and paging with limit and continue.</summary>
public sealed class ListTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    public static TheoryData<string, string?, string?, string[]> Selections => new()
    {
        { "client", "app=web", null, ["a", "b"] },
        { "kubectl", "app=web", null, ["a", "b"] },
        { "client", "app!=web", null, ["c"] },
        { "kubectl", "app in (db)", null, ["c"] },
        { "client", null, "spec.nodeName=node-1,status.phase=Running", ["a"] },
        { "kubectl", null, "spec.nodeName=node-1,status.phase=Running", ["a"] },
        { "client", null, "spec.nodeName=node-1", ["a", "c"] },
        { "kubectl", null, "status.phase!=Running", ["b", "c"] },
        { "client", "app=db", "spec.nodeName=node-1", ["c"] },
        { "kubectl", null, "metadata.name=b", ["b"] },
    };

    [Theory, MemberData(nameof(Selections))]
    public async Task SelectorsChooseTheMatchingPods(string client, string? labels, string? fields, string[] expected)
    {
        var ns = await SeedPodsAsync();

        var names = (await cluster.Driver(client).ListAsync(Kind.Pod, ns, labels, fields)).Names;

        Assert.Equal(expected, names.Order());
    }

    /// <summary>Pods a (web, node-1, Running), b (web, node-2, Pending), c (db, node-1, Pending) in a new namespace.</summary>
    private async Task<string> SeedPodsAsync()
    {
        var ns = await cluster.NewNamespaceAsync("select");
        var admin = new ClientDriver(cluster.Client);
        foreach (var (name, app, node) in new[] { ("a", "web", "node-1"), ("b", "web", "node-2"), ("c", "db", "node-1") })
        {
            (await admin.CreateAsync(Pod(ns, name, new Dictionary<string, string> { ["app"] = app }))).Ok.ToString();
            (await admin.BindAsync(ns, name, node)).Ok.ToString();
        }

        (await admin.PatchAsync(new ObjectRef(Kind.Pod, ns, "a"), PatchKind.Merge, """{"status":{"phase":"Running"}}""", status: true)).Ok.ToString();
        return ns;
    }

    private async Task<(string Ns, string[] Names)> SeedConfigMapsAsync(int count)
    {
        var ns = await cluster.NewNamespaceAsync("pages");
        var names = Enumerable.Range(1, count).Select(i => $"cm-{i:D2}").ToArray();
        foreach (var name in names)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = name } }, ns);
        }

        return (ns, names);
    }

    [Fact]
    public async Task ClientPagesWithLimitAndContinue()
    {
        var (ns, names) = await SeedConfigMapsAsync(5);

        var pages = new List<string[]>();
        string? next = null;
        do
        {
            var page = await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 2, continueParameter: next);
            pages.Add([.. page.Items.Select(i => i.Metadata.Name)]);
            next = page.Metadata.ContinueProperty;
            if (next is not null)
            {
                Assert.Equal(5 - pages.Sum(p => p.Length), page.Metadata.RemainingItemCount);
            }
        }
        while (next is not null);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Length));
        Assert.Equal(names, pages.SelectMany(p => p));
    }

    [Fact]
    public async Task KubectlChunkSizePagesThroughTheList()
    {
        var (ns, names) = await SeedConfigMapsAsync(5);

        var result = await cluster.KubectlAsync("-v=6", "get", "configmaps", "-n", ns, "--chunk-size=2", "-o", "name");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(names.Select(n => $"configmap/{n}"), result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var requests = result.Stderr.Split('\n').Where(l => l.Contains($"/namespaces/{ns}/configmaps?", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, requests.Count);
        Assert.Equal(2, requests.Count(r => r.Contains("continue=", StringComparison.Ordinal)));
        Assert.All(requests, r => Assert.Contains("limit=2", r));
    }
}
