using System.Diagnostics;

namespace Runai.Sim.Tests.ApiDocs.Support;

/// <summary>Runs Debian's kubectl against a loopback server with a throwaway kubeconfig and discovery cache.</summary>
internal sealed class KubectlRunner : IDisposable
{
    public const string KubectlPath = "/usr/bin/kubectl";

    private readonly string dir = Directory.CreateTempSubdirectory("kubectl-test-").FullName;

    public KubectlRunner(int port)
    {
        Assert.True(File.Exists(KubectlPath), $"kubectl is required for this test and was not found at {KubectlPath}");
        KubeconfigPath = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(KubeconfigPath, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: sim
              cluster:
                server: http://127.0.0.1:{port}
            users:
            - name: admin
              user:
                token: test-token
            contexts:
            - name: sim
              context:
                cluster: sim
                user: admin
            current-context: sim
            """);
    }

    public string KubeconfigPath { get; }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(KubectlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(KubeconfigPath);
        start.ArgumentList.Add("--cache-dir");
        start.ArgumentList.Add(Path.Combine(dir, "cache"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HOME"] = dir;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within 60s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}
