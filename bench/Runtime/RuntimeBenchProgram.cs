namespace Runai.Bench.Runtime;

/// <summary><c>Runai.Bench runtime [--quick] [--sim-dll PATH]</c>: the controller runtime against the simulated API.</summary>
internal static class RuntimeBenchProgram
{
    private const string Usage = "usage: Runai.Bench runtime [--quick] [--sim-dll PATH]";

    public static async Task<int> MainAsync(string[] args)
    {
        var objects = 10_000;
        var quick = false;
        string? simDll = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    objects = 1_000;
                    break;
                case "--sim-dll" when i + 1 < args.Length:
                    simDll = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"runai-bench runtime: unknown or incomplete argument \"{args[i]}\"\n{Usage}");
                    return 2;
            }
        }

        using var stop = BenchHost.Stop();

        try
        {
            var result = await new RuntimeBenchmark(objects, quick, simDll ?? SimProcess.BuiltAssemblyPath(), Console.Error).RunAsync(stop.Token);
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            await Console.Error.WriteLineAsync($"runai-bench runtime: FAILED: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("runai-bench runtime: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"runai-bench runtime: FAILED unexpectedly: {e}");
            return 1;
        }
    }
}
