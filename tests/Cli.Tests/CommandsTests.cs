using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Runai.Cli.Tests.Support;

namespace Runai.Cli.Tests;

/// <summary><c>runai</c> against the seed scenario on the simulated cluster, with workload-controller running.</summary>
public sealed class CommandsTests(SeedCluster seed) : IClassFixture<SeedCluster>
{
    [Fact]
    public async Task ListJobsPrintsTheSeedLine()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("list", "jobs", "-p", "my-project");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, result.Lines.Length);
        Assert.Matches(@"^NAME +STATUS +GPUs +NODE$", result.Lines[0]);
        Assert.Matches(@"^nccl-roce-validation +Running +4 +gpu-worker-0[1-8],gpu-worker-0[1-8]$", result.Lines[1]);
        // Columns line up under their headers: space padded, no borders.
        foreach (var header in new[] { "STATUS", "GPUs", "NODE" })
        {
            var column = result.Lines[0].IndexOf(header, StringComparison.Ordinal);
            Assert.NotEqual(' ', result.Lines[1][column]);
            Assert.Equal(' ', result.Lines[1][column - 1]);
        }

        var all = await seed.RunAsync("list", "jobs", "-A");
        Assert.Equal(result.Stdout, all.Stdout);
    }

    [Fact]
    public async Task ListJobsWideAddsProjectTypeAgeAndCounts()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("list", "jobs", "-p", "my-project", "-o", "wide");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^NAME +PROJECT +TYPE +STATUS +AGE +GPUs Allocated \(Requested\) +PODs Running \(Pending\) +NODE$", result.Lines[0]);
        Assert.Matches(@"^nccl-roce-validation +my-project +MPIJob +Running +\d+[smhd] +4 \(4\) +2 \(0\) +gpu-worker-0\d,gpu-worker-0\d$", result.Lines[1]);
    }

    [Fact]
    public async Task ListJobsAsJsonCarriesTheSameFacts()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("list", "jobs", "-p", "my-project", "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var job = Assert.Single(JsonNode.Parse(result.Stdout)!.AsArray())!;
        Assert.Equal("nccl-roce-validation", (string?)job["name"]);
        Assert.Equal("my-project", (string?)job["project"]);
        Assert.Equal("MPIJob", (string?)job["type"]);
        Assert.Equal("Running", (string?)job["status"]);
        Assert.Equal(4m, (decimal)job["allocatedGpus"]!);
        Assert.Equal(4m, (decimal)job["requestedGpus"]!);
        Assert.Equal(301508, (long)job["allocatedGpuMemoryMiB"]!);
        Assert.Equal(2, (int)job["runningPods"]!);
        Assert.Equal(2, job["nodes"]!.AsArray().Count);
    }

    [Fact]
    public async Task ListProjectsPrintsQuotaUseAndOverQuota()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("list", "projects");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["PROJECT     GPU_QUOTA  GPU_USED  OVER_QUOTA", "my-project  8          4         0"], result.Lines);

        var json = await seed.RunAsync("list", "projects", "-o", "json");
        var project = Assert.Single(JsonNode.Parse(json.Stdout)!.AsArray())!;
        Assert.Equal(8m, (decimal)project["quota"]!);
        Assert.Equal(16m, (decimal)project["limit"]!);
        Assert.Equal(4m, (decimal)project["used"]!);
    }

    [Fact]
    public async Task ListNodesShowsPoolModelCapacityAllocationAndReadiness()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("list", "nodes");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"^NODE +POOL +GPU_MODEL +GPUs +ALLOCATED +READY$", result.Lines[0]);
        var rows = result.Lines.Skip(1).ToList();
        Assert.Equal(8, rows.Count);
        Assert.All(rows, r => Assert.Matches(@"^gpu-worker-0[1-8] +gpu-h200-pool +NVIDIA-H200 +4 +[0-4] +True$", r));
        Assert.Equal(4, rows.Sum(r => int.Parse(r.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4], System.Globalization.CultureInfo.InvariantCulture)));

        var json = JsonNode.Parse((await seed.RunAsync("list", "nodes", "-o", "json")).Stdout)!.AsArray();
        Assert.Equal(32, json.Sum(n => (int)n!["gpus"]!));
    }

    [Fact]
    public async Task DescribeJobShowsStatusGpusPodsNodesAndEvents()
    {
        await seed.SeedJobRunningAsync();
        var result = await seed.RunAsync("describe", "job", "nccl-roce-validation", "-p", "my-project");

        Assert.True(result.ExitCode == 0, result.ToString());
        var text = result.Stdout;
        Assert.Matches(@"(?m)^Name: +nccl-roce-validation$", text);
        Assert.Matches(@"(?m)^Project: +my-project$", text);
        Assert.Matches(@"(?m)^Type: +MPIJob$", text);
        Assert.Matches(@"(?m)^Status: +Running$", text);
        Assert.Matches(@"(?m)^GPUs requested: +4 \(gang 4\)$", text);
        Assert.Matches(@"(?m)^GPUs allocated: +4$", text);
        Assert.Matches(@"(?m)^GPU memory: +301508 MiB$", text);
        Assert.Matches(@"(?m)^Pods: +2 running, 0 pending", text);
        Assert.Matches(@"(?m)^Nodes: +gpu-worker-0\d, gpu-worker-0\d$", text);
        Assert.Matches(@"(?m)^Pending reason: +-$", text);
        Assert.Matches(@"(?m)^  nccl-roce-validation-worker-0 +worker +Running +gpu-worker-0\d +2 +0 +\d+[smhd]$", text);
        Assert.Matches(@"(?m)^  nccl-roce-validation-launcher +launcher +", text);
        // The default scheduler stand-in and the kubelets record Events on the pods.
        Assert.Matches(@"(?m)^Events:\n  AGE +TYPE +REASON +OBJECT +MESSAGE$", text);
        Assert.Matches(@"(?m)^  \S+ +Normal +(Scheduled|Started|Pulled|Created) +pod/nccl-roce-validation-", text);

        var json = JsonNode.Parse((await seed.RunAsync("describe", "job", "nccl-roce-validation", "-p", "my-project", "-o", "json")).Stdout)!;
        Assert.Equal("Running", (string?)json["job"]!["status"]);
        Assert.Equal(3, json["pods"]!.AsArray().Count);
    }

    [Fact]
    public async Task AnUnknownJobOrProjectIsAClearErrorWithExitStatusOne()
    {
        var job = await seed.RunAsync("describe", "job", "no-such-job", "-p", "my-project");
        Assert.Equal(1, job.ExitCode);
        Assert.Equal("runai: job \"no-such-job\" not found in project \"my-project\"\n", job.Stderr);
        Assert.Empty(job.Stdout);

        var project = await seed.RunAsync("list", "jobs", "-p", "nobody");
        Assert.Equal(1, project.ExitCode);
        Assert.Equal("runai: project \"nobody\" not found (projects: my-project)\n", project.Stderr);
    }

    [Fact]
    public async Task BadCommandLinesExitWithStatusTwo()
    {
        var both = await seed.RunAsync("list", "jobs", "-p", "my-project", "-A");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("use -p PROJECT or -A, not both", both.Stderr);

        var format = await seed.RunAsync("list", "jobs", "-o", "yaml");
        Assert.Equal(2, format.ExitCode);
        Assert.Contains("yaml", format.Stderr);

        var unknown = await seed.RunAsync("list", "gpus");
        Assert.Equal(2, unknown.ExitCode);
    }

    [Fact]
    public async Task AnUnreachableClusterOrMissingKubeconfigIsAClearErrorWithExitStatusOne()
    {
        // A kubeconfig like the cluster's, pointing at a port nothing listens on.
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var path = Path.Combine(seed.Cluster.RunDirectory, "kubeconfig-unreachable");
        var text = await File.ReadAllTextAsync(seed.Kubeconfig);
        await File.WriteAllTextAsync(path, text.Replace(seed.Cluster.ApiUrl.ToString().TrimEnd('/'), $"https://127.0.0.1:{port}", StringComparison.Ordinal));

        var result = await SeedCluster.RunWithAsync(path, "list", "jobs", "-A");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"runai: cannot reach the Kubernetes API at https://127.0.0.1:{port}", result.Stderr);

        var missing = await SeedCluster.RunWithAsync("/nonexistent/kubeconfig", "list", "projects");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("runai: cannot load the kubeconfig: no such file /nonexistent/kubeconfig (give --kubeconfig or set KUBECONFIG)\n", missing.Stderr);
    }

    [Fact]
    public async Task TheExecutableReadsKubeconfigFromTheEnvironment()
    {
        await seed.SeedJobRunningAsync();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Runai.Cli.dll"));
        foreach (var a in new[] { "list", "projects" }) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = seed.Kubeconfig;
        using var process = Process.Start(psi)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, stderr);
        Assert.EndsWith("my-project  8          4         0\n", stdout);
    }
}
