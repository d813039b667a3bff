using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Runai.Bench;

/// <summary>What every benchmark needs from its host: the machine it ran on, and a stop signal.</summary>
internal static class BenchHost
{
    /// <summary>Cores, memory, CPU model, OS and runtime, as each result's "machine" object reports them.</summary>
    public static JsonObject Machine()
    {
        var memKb = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            ?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["memoryGiB"] = memKb is null ? null : Math.Round(long.Parse(memKb, CultureInfo.InvariantCulture) / 1024.0 / 1024.0, 1),
            ["cpu"] = cpu,
            ["os"] = RuntimeInformation.OSDescription,
            ["runtime"] = Environment.Version.ToString(),
        };
    }

    /// <summary>
    /// Cancelled by Ctrl-C or SIGTERM: a dispatcher that stops a benchmark must not leave its server process behind.
    /// Dispose the returned object to unregister.
    /// </summary>
    public static StopSignal Stop() => new();

    internal sealed class StopSignal : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly PosixSignalRegistration _term;

        public StopSignal()
        {
            Console.CancelKeyPress += OnCancelKey;
            _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                _cts.Cancel();
            });
        }

        public CancellationToken Token => _cts.Token;

        private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            _cts.Cancel();
        }

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancelKey;
            _term.Dispose();
            _cts.Dispose();
        }
    }
}
