using System.Diagnostics;
using System.Threading.Channels;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>A kubectl that keeps running (<c>get -w</c>): its stdout lines as they come, and a kill when the case is done.</summary>
public sealed class KubectlProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _reader;
    private readonly Task<string> _stderr;

    private KubectlProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                _lines.Writer.TryWrite(line);
            }

            _lines.Writer.TryComplete();
        });
    }

    public static KubectlProcess Start(SimClusterFixture cluster, string[] args)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--kubeconfig", cluster.KubeconfigPath, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        // The same discovery cache and home as the fixture's one-shot kubectl.
        psi.Environment["KUBECACHEDIR"] = Path.Combine(cluster.Cluster.RunDirectory, "kubectl-cache");
        psi.Environment["HOME"] = cluster.Cluster.RunDirectory;
        return new KubectlProcess(Process.Start(psi) ?? throw new InvalidOperationException("kubectl could not be started"));
    }

    /// <summary>The next line kubectl printed; fails the test (showing kubectl's stderr) when none comes in time.</summary>
    public async Task<string> NextLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            var stderr = _process.HasExited ? await _stderr : "(still running)";
            throw new Xunit.Sdk.XunitException($"kubectl printed no further line within {timeout}; stderr: {stderr}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        await _reader;
        _process.Dispose();
    }
}
