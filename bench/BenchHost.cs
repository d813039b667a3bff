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

    /// <summary>
    /// Reads <c>[--quick] [--sim-dll PATH]</c> and the benchmark's own <c>--flag VALUE</c>s; on anything else says so with
    /// the usage line on stderr and returns null (the caller exits 2).
    /// </summary>
    public static BenchArgs? ParseArgs(string name, string[] args, string usage, params string[] valueFlags)
    {
        var quick = false;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--quick")
            {
                quick = true;
            }
            else if ((args[i] == "--sim-dll" || valueFlags.Contains(args[i])) && i + 1 < args.Length)
            {
                values[args[i]] = args[++i];
            }
            else
            {
                Console.Error.WriteLine($"runai-bench {name}: unknown or incomplete argument \"{args[i]}\"\n{usage}");
                return null;
            }
        }

        return new BenchArgs(quick, values.GetValueOrDefault("--sim-dll") ?? SimProcess.BuiltAssemblyPath(), values);
    }

    /// <summary>
    /// Runs one benchmark until done or Ctrl-C and prints its JSON as the last stdout line. Exit codes: 0 done, 1 failed
    /// (the reason on stderr), 130 interrupted.
    /// </summary>
    public static async Task<int> RunAsync(string name, Func<CancellationToken, Task<JsonObject>> run)
    {
        using var stop = Stop();
        try
        {
            var result = await run(stop.Token);
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            await Console.Error.WriteLineAsync($"runai-bench {name}: FAILED: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"runai-bench {name}: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"runai-bench {name}: FAILED unexpectedly: {e}");
            return 1;
        }
    }

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

/// <summary>A benchmark's command line: <c>--quick</c>, the simulated cluster to start, and its own flags' values.</summary>
internal sealed record BenchArgs(bool Quick, string SimDll, IReadOnlyDictionary<string, string> Values);
