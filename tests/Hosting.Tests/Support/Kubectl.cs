using System.Diagnostics;

namespace Runai.Hosting.Tests.Support;

/// <summary>Debian's kubectl against a kubeconfig, as an operator would run it.</summary>
internal static class Kubectl
{
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string kubeconfig, params string[] args)
    {
        var psi = new ProcessStartInfo(File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl" : "kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // A discovery cache of its own, so runs do not share stale discovery.
        var home = Path.GetDirectoryName(kubeconfig)!;
        psi.Environment["KUBECACHEDIR"] = Path.Combine(home, "kubectl-cache");
        psi.Environment["HOME"] = home;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("kubectl could not be started; install kubernetes-client");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
