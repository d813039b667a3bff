using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>Theory data: every case runs once through KubernetesClient and once through kubectl.</summary>
public sealed class BothClients : TheoryData<string>
{
    public BothClients()
    {
        Add("client");
        Add("kubectl");
    }
}

public static class Via
{
    /// <summary>The named client acting as the cluster admin.</summary>
    public static IApiDriver Driver(this SimClusterFixture cluster, string client) => client switch
    {
        "client" => new ClientDriver(cluster.Client),
        "kubectl" => new KubectlDriver(cluster),
        _ => throw new ArgumentException($"no client named {client}", nameof(client)),
    };

    /// <summary>The named client acting as a service account (through its bearer token).</summary>
    public static IApiDriver DriverAs(this SimClusterFixture cluster, string client, string ns, string serviceAccount) => client switch
    {
        "client" => new ClientDriver(cluster.ClientFor(ns, serviceAccount)),
        "kubectl" => new KubectlDriver(cluster, cluster.Cluster.IssueServiceAccountToken(ns, serviceAccount)),
        _ => throw new ArgumentException($"no client named {client}", nameof(client)),
    };

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"timed out after {seconds} s waiting until {what}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A fresh namespace for a case that lists or deletes everything in one.</summary>
    public static async Task<string> NewNamespaceAsync(this SimClusterFixture cluster, string prefix)
    {
        var name = Manifests.UniqueName(prefix);
        (await new ClientDriver(cluster.Client).CreateAsync(Manifests.Namespace(name))).Ok.ToString();
        return name;
    }
}
