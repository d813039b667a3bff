using System.Diagnostics;

namespace Runai.NodeDaemon.Tests.Support;

internal static class Promtool
{
    /// <summary>Runs <c>promtool check metrics</c> on a page; returns what it said (stdout and stderr).</summary>
    public static async Task<string> CheckMetricsAsync(string page)
    {
        var psi = new ProcessStartInfo("promtool", ["check", "metrics"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("promtool could not be started (apt-get install prometheus)");
        await p.StandardInput.WriteAsync(page);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (await stdout) + (await stderr);
    }
}
