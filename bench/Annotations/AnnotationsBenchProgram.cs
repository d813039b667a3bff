namespace Runai.Bench.Annotations;

/// <summary><c>Runai.Bench annotations [--quick] [--sim-dll PATH]</c>: how fast workload-controller's annotations follow changes.</summary>
internal static class AnnotationsBenchProgram
{
    private const string Usage = "usage: Runai.Bench annotations [--quick] [--sim-dll PATH]";

    public static async Task<int> MainAsync(string[] args)
    {
        var workloads = 10_000;
        var quick = false;
        string? simDll = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    workloads = 500;
                    break;
                case "--sim-dll" when i + 1 < args.Length:
                    simDll = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"runai-bench annotations: unknown or incomplete argument \"{args[i]}\"\n{Usage}");
                    return 2;
            }
        }

        using var stop = BenchHost.Stop();
        try
        {
            var result = await new AnnotationsBenchmark(workloads, quick, simDll ?? SimProcess.BuiltAssemblyPath(), Console.Error).RunAsync(stop.Token);
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            await Console.Error.WriteLineAsync($"runai-bench annotations: FAILED: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("runai-bench annotations: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"runai-bench annotations: FAILED unexpectedly: {e}");
            return 1;
        }
    }
}
