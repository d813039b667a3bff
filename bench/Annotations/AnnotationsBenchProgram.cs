namespace Runai.Bench.Annotations;

/// <summary><c>Runai.Bench annotations [--quick] [--sim-dll PATH]</c>: how fast workload-controller's annotations follow changes.</summary>
internal static class AnnotationsBenchProgram
{
    private const string Usage = "usage: Runai.Bench annotations [--quick] [--sim-dll PATH]";

    public static async Task<int> MainAsync(string[] args) =>
        BenchHost.ParseArgs("annotations", args, Usage) is not { } a
            ? 2
            : await BenchHost.RunAsync("annotations", ct => new AnnotationsBenchmark(a.Quick ? 500 : 10_000, a.Quick, a.SimDll, Console.Error).RunAsync(ct));
}
