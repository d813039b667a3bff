using System.Net.Sockets;
using System.Runtime.InteropServices;
using Runai.NodeDaemon.Hosting;

var options = DaemonOptions.Parse(args, Environment.GetEnvironmentVariable, out var problem);
if (options is null)
{
    Console.Error.WriteLine($"runai-node-exporter: {problem}");
    Console.Error.WriteLine(DaemonOptions.Usage);
    return 2;
}

Log.DebugEnabled = options.Debug;
var stopped = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopped.TrySetResult(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopped.TrySetResult(); });

var exporter = new NodeExporter(options);
try
{
    exporter.Start();
}
catch (SocketException e)
{
    Log.Error($"Cannot listen on {options.Listen}: {e.Message}");
    return 1;
}

await stopped.Task;
Log.Info("Stopping");
await exporter.DisposeAsync();
return 0;
