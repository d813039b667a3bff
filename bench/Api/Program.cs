namespace Runai.Bench;

/// <summary>
/// <c>Runai.Bench api [--quick] [--sim-dll PATH]</c>: end-to-end benchmarks of the product's parts. Progress goes to
/// stderr; the last line of stdout is one JSON object with every figure, for bench/run.sh to collect.
/// </summary>
internal static class Program
{
    private const string Usage = "usage: Runai.Bench api|runtime|exporter|annotations|scheduler [--quick] [--sim-dll PATH]\n       Runai.Bench --list";

    public static async Task<int> Main(string[] args)
    {
        if (args is ["--list"])
        {
            Console.Out.WriteLine("api");
            Console.Out.WriteLine("runtime");
            Console.Out.WriteLine("exporter");
            Console.Out.WriteLine("annotations");
            Console.Out.WriteLine("scheduler");
            return 0;
        }

        if (args is ["exporter", ..])
        {
            return await Exporter.ExporterBenchProgram.MainAsync(args[1..]);
        }

        if (args is ["annotations", ..])
        {
            return await Annotations.AnnotationsBenchProgram.MainAsync(args[1..]);
        }

        if (args is ["scheduler", ..])
        {
            return await Scheduler.SchedulerBenchProgram.RunAsync(args[1..]);
        }

        if (args is ["runtime", ..])
        {
            return await Runtime.RuntimeBenchProgram.MainAsync(args[1..]);
        }

        if (args.Length == 0 || args[0] != "api")
        {
            await Console.Error.WriteLineAsync(args.Length == 0 ? Usage : $"runai-bench: unknown benchmark \"{args[0]}\"\n{Usage}");
            return 2;
        }

        var scale = ApiBenchScale.Full;
        string? simDll = null;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    scale = ApiBenchScale.Quick;
                    break;
                case "--sim-dll" when i + 1 < args.Length:
                    simDll = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync($"runai-bench: unknown or incomplete argument \"{args[i]}\"\n{Usage}");
                    return 2;
            }
        }

        using var stop = BenchHost.Stop();

        try
        {
            var result = await new ApiBenchmark(scale, simDll ?? SimProcess.BuiltAssemblyPath(), Console.Error).RunAsync(stop.Token);
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (BenchmarkFailedException e)
        {
            await Console.Error.WriteLineAsync($"runai-bench api: FAILED: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.Token.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("runai-bench api: interrupted");
            return 130;
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"runai-bench api: FAILED unexpectedly: {e}");
            return 1;
        }
    }
}

/// <summary>A step of a benchmark did not do what it must (errors, missing events, a server that would not start).</summary>
internal sealed class BenchmarkFailedException(string message, Exception? inner = null) : Exception(message, inner);
