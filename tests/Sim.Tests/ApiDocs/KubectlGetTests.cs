using System.Globalization;
using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Tests.ApiDocs.Support;

namespace Runai.Sim.Tests.ApiDocs;

/// <summary>Debian's kubectl 1.32 printing the Tables the renderer produces.</summary>
public sealed class KubectlGetTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static string Ago(TimeSpan t) => (Now - t).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task GetPodsPrintsTheUsualColumnsAndWideAddsNodeAndIp()
    {
        var pod = Definitions.Pod();
        using var server = new LoopbackApiServer([pod, Definitions.Namespace()]) { Now = Now };
        server.Objects.Add((pod, JsonNode.Parse("""
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "trainer-0", "namespace": "team-a", "creationTimestamp": "@T0@"},
             "spec": {"nodeName": "gpu-node-1", "containers": [{"name": "main", "image": "pytorch"}]},
             "status": {"phase": "Running", "podIPs": [{"ip": "10.244.1.7"}], "containerStatuses": [{"name": "main", "ready": false, "restartCount": 3,
               "state": {"waiting": {"reason": "CrashLoopBackOff"}},
               "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "@T1@"}}}]}}
            """.Replace("@T0@", Ago(TimeSpan.FromMinutes(5)), StringComparison.Ordinal).Replace("@T1@", Ago(TimeSpan.FromSeconds(40)), StringComparison.Ordinal))!.AsObject()));
        using var kubectl = new KubectlRunner(server.Port);

        var (exit, stdout, stderr) = await kubectl.RunAsync("get", "pods", "-n", "team-a");
        Assert.True(exit == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^trainer-0\s+0/1\s+CrashLoopBackOff\s+3 \(4\ds ago\)\s+5m$", lines[1]);

        (exit, stdout, stderr) = await kubectl.RunAsync("get", "pods", "-n", "team-a", "-o", "wide");
        Assert.True(exit == 0, stderr);
        Assert.Contains("NOMINATED NODE", stdout, StringComparison.Ordinal);
        Assert.Matches(@"trainer-0\s+0/1\s+CrashLoopBackOff\s+3 \(4\ds ago\)\s+5m\s+10\.244\.1\.7\s+gpu-node-1\s+<none>\s+<none>", stdout);
    }

    [Fact]
    public async Task GetCustomResourcesPrintsPrinterColumnsAndAge()
    {
        var project = Definitions.Project() with
        {
            PrinterColumns = [new PrinterColumn("Quota", "integer", ".spec.gpus.quota"), new PrinterColumn("Department", "string", ".spec.department")],
        };
        using var server = new LoopbackApiServer([project]) { Now = Now };
        server.Objects.Add((project, JsonNode.Parse("""
            {"apiVersion": "run.ai/v2alpha1", "kind": "Project", "metadata": {"name": "team-a", "creationTimestamp": "@T0@"},
             "spec": {"gpus": {"quota": 8}}}
            """.Replace("@T0@", Ago(TimeSpan.FromHours(51)), StringComparison.Ordinal))!.AsObject()));
        using var kubectl = new KubectlRunner(server.Port);

        var (exit, stdout, stderr) = await kubectl.RunAsync("get", "projects");

        Assert.True(exit == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(["NAME", "QUOTA", "DEPARTMENT", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        // A missing value is a null cell, which kubectl prints as blank (as against a real server).
        Assert.Matches(@"^team-a\s+8\s+2d3h$", lines[1]);
    }
}
