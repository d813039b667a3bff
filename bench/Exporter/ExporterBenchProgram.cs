namespace Runai.Bench.Exporter;

/// <summary><c>Runai.Bench exporter [--quick] [--sim-dll PATH] [--exporter-dll PATH]</c>: scrape cost of workload-exporter at 10,000 workloads.</summary>
internal static class ExporterBenchProgram
{
    private const string Usage = "usage: Runai.Bench exporter [--quick] [--sim-dll PATH] [--exporter-dll PATH]";

    public static async Task<int> MainAsync(string[] args) =>
        BenchHost.ParseArgs("exporter", args, Usage, "--exporter-dll") is not { } a
            ? 2
            : await BenchHost.RunAsync("exporter", ct => new ExporterBenchmark(a.Quick, a.SimDll,
                a.Values.GetValueOrDefault("--exporter-dll") ?? ExporterProcess.BuiltAssemblyPath(), Console.Error).RunAsync(ct));
}
