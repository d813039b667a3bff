using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Kubelet;
using Serilog;
using Serilog.Formatting.Compact;

namespace Runai.Sim;

/// <summary>
/// <c>Runai.Sim --listen 127.0.0.1:0 --scenario FILE --run-dir DIR [--log-format json] [--no-workloads]</c>:
/// starts the simulated cluster, writes DIR/kubeconfig and, last and atomically once ready, DIR/sim.json.
/// </summary>
internal static class Program
{
    private const string Usage = "usage: Runai.Sim [--listen 127.0.0.1:PORT] [--scenario FILE] [--run-dir DIR] [--log-format text|json] [--no-workloads] [--log-level LEVEL]\n"
        + "                 [--manifests FILE|DIR]... [--image IMAGE=COMMAND]... [--image-map FILE]";

    public static async Task<int> Main(string[] args)
    {
        SimClusterOptions options;
        string logFormat = "text";
        var level = Serilog.Events.LogEventLevel.Information;
        try
        {
            (options, logFormat, level) = ParseArgs(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"runai-sim: {e.Message}\n{Usage}");
            return 2;
        }
        catch (Exception e) when (e is FormatException or FileNotFoundException)
        {
            await Console.Error.WriteLineAsync($"runai-sim: {e.Message}");
            return 2;
        }

        var logger = new LoggerConfiguration().MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .Enrich.WithProperty("component", "runai-sim");
        logger = logFormat == "json"
            ? logger.WriteTo.Console(new CompactJsonFormatter())
            : logger.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}");
        Log.Logger = logger.CreateLogger();
        using var loggers = LoggerFactory.Create(b => b.AddSerilog(Log.Logger, dispose: false));
        var log = loggers.CreateLogger("Runai.Sim");

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Cancel();
        });

        SimCluster cluster;
        try
        {
            cluster = await SimCluster.StartAsync(options with { Loggers = loggers }, stop.Token);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException or TimeoutException or IOException or FormatException)
        {
            log.LogCritical("The simulated cluster could not start: {Reason}", e.Message);
            await Log.CloseAndFlushAsync();
            return 1;
        }

        await using (cluster)
        {
            var ready = new JsonObject
            {
                ["kubeApi"] = cluster.ApiUrl.ToString().TrimEnd('/'),
                ["metrics"] = cluster.ApiUrl.ToString().TrimEnd('/') + "/metrics",
                ["kubeconfig"] = cluster.KubeconfigPath,
                ["nodes"] = new JsonArray([.. cluster.Nodes.Select(n => (JsonNode)n.Name)]),
                ["podResourcesSockets"] = new JsonObject(cluster.Nodes.Select(n => KeyValuePair.Create(n.Name,
                    (JsonNode?)Path.Combine(cluster.SocketDirectory, n.Name, "pod-resources", "kubelet.sock")))),
                // Stable loopback URL per Service port (the kube-proxy stand-in), e.g. "runai/workload-exporter:metrics".
                ["services"] = new JsonObject(cluster.ServiceUrls.OrderBy(s => s.Key, StringComparer.Ordinal)
                    .Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
                ["podDiscovery"] = cluster.ApiUrl.ToString().TrimEnd('/') + "/sd/pods",
            };
            var path = Path.Combine(cluster.RunDirectory, "sim.json");
            await File.WriteAllTextAsync(path + ".tmp", ready.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(path + ".tmp", path, overwrite: true);
            log.LogInformation("Simulated cluster ready at {Url} with {Nodes} nodes; kubeconfig {Kubeconfig}",
                cluster.ApiUrl, cluster.Nodes.Count, cluster.KubeconfigPath);
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
                log.LogInformation("Stopping the simulated cluster");
            }
        }

        await Log.CloseAndFlushAsync();
        return 0;
    }

    private static (SimClusterOptions, string, Serilog.Events.LogEventLevel) ParseArgs(string[] args)
    {
        var options = new SimClusterOptions();
        var format = "text";
        var images = ImageMap.Empty;
        var manifests = new List<string>();
        var level = Serilog.Events.LogEventLevel.Information;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--listen":
                    var listen = Value();
                    if (!System.Net.IPEndPoint.TryParse(listen, out var ep) || !System.Net.IPAddress.IsLoopback(ep.Address))
                    {
                        throw new ArgumentException($"--listen must be a loopback address:port, not \"{listen}\"");
                    }

                    options = options with { Listen = listen };
                    break;
                case "--scenario":
                    options = options with { ScenarioPath = Value() };
                    break;
                case "--run-dir":
                    options = options with { RunDirectory = Value() };
                    break;
                case "--manifests":
                    manifests.Add(Value());
                    break;
                case "--image":
                    images = images.With(ImageMap.Parse([Value()]));
                    break;
                case "--image-map":
                    images = images.With(ImageMap.Load(Value()));
                    break;
                case "--no-workloads":
                    options = options with { StartWorkloadSimulation = false };
                    break;
                case "--log-format":
                    format = Value();
                    if (format is not ("text" or "json"))
                    {
                        throw new ArgumentException($"--log-format must be text or json, not \"{format}\"");
                    }

                    break;
                case "--log-level":
                    var l = Value();
                    level = Enum.TryParse<Serilog.Events.LogEventLevel>(l, ignoreCase: true, out var parsed)
                        ? parsed
                        : throw new ArgumentException($"--log-level must be one of Verbose, Debug, Information, Warning, Error, not \"{l}\"");
                    break;
                case "-h" or "--help":
                    throw new ArgumentException("help requested");
                default:
                    throw new ArgumentException($"unknown argument \"{args[i]}\"");
            }
        }

        return (options with { Images = images, Manifests = manifests }, format, level);
    }
}
