using System.Text;

namespace Runai.Sim.Cluster;

/// <summary>The kubeconfig files the simulated cluster hands out: the admin's, and each process-backed pod's.</summary>
internal static class Kubeconfig
{
    /// <summary>A kubeconfig for one bearer-token identity, trusting the cluster CA; written atomically.</summary>
    public static async Task WriteAsync(string path, string server, string caPem, string user, string token, string context, string ns,
        CancellationToken ct = default)
    {
        var yaml = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: runai-sim
              cluster:
                server: {server}
                certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))}
            users:
            - name: {user}
              user:
                token: {token}
            contexts:
            - name: {context}
              context:
                cluster: runai-sim
                user: {user}
                namespace: {ns}
            current-context: {context}
            """;
        await File.WriteAllTextAsync(path + ".tmp", yaml + "\n", ct);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
