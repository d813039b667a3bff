namespace Runai.Bench.Runtime;

/// <summary><c>Runai.Bench runtime [--quick] [--sim-dll PATH]</c>: the controller runtime against the simulated API.</summary>
internal static class RuntimeBenchProgram
{
    private const string Usage = "usage: Runai.Bench runtime [--quick] [--sim-dll PATH]";

    public static async Task<int> MainAsync(string[] args) =>
        BenchHost.ParseArgs("runtime", args, Usage) is not { } a
            ? 2
            : await BenchHost.RunAsync("runtime", ct => new RuntimeBenchmark(a.Quick ? 1_000 : 10_000, a.Quick, a.SimDll, Console.Error).RunAsync(ct));
}
