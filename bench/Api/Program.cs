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

        return BenchHost.ParseArgs("api", args[1..], Usage) is not { } a
            ? 2
            : await BenchHost.RunAsync("api", ct => new ApiBenchmark(a.Quick ? ApiBenchScale.Quick : ApiBenchScale.Full, a.SimDll, Console.Error).RunAsync(ct));
    }
}

/// <summary>A step of a benchmark did not do what it must (errors, missing events, a server that would not start).</summary>
internal sealed class BenchmarkFailedException(string message, Exception? inner = null) : Exception(message, inner);
