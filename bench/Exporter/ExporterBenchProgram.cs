namespace Runai.Bench.Exporter;

/// <summary><c>Runai.Bench exporter [--quick] [--sim-dll PATH] [--exporter-dll PATH]</c>: scrape cost of workload-exporter at 10,000 workloads.</summary>
internal static class ExporterBenchProgram
{
    private const string Usage = "usage: Runai.Bench exporter [--quick] [--sim-dll PATH] [--exporter-dll PATH]";

    public static async Task<int> MainAsync(string[] args)
    {
        var quick = false;
        string? simDll = null, exporterDll = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--sim-dll" when i + 1 < args.Length:
                    simDll = args[++i];
                    break;
                case "--exporter-dll" when i + 1 < args.Length:
                    exporterDll = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"runai-bench exporter: unknown or incomplete argument \"{args[i]}\"\n{Usage}");
                    return 2;
            }
        }

        using var stop = BenchHost.Stop();
        try
        {
            var result = await new ExporterBenchmark(quick, simDll ?? SimProcess.BuiltAssemblyPath(), exporterDll ?? ExporterProcess.BuiltAssemblyPath(), Console.Error)
                .RunAsync(stop.Token);
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            await Console.Error.WriteLineAsync($"runai-bench exporter: FAILED: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("runai-bench exporter: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"runai-bench exporter: FAILED unexpectedly: {e}");
            return 1;
        }
    }
}
