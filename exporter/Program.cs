using Runai.Core;
using Runai.Core.Hosting;
using Runai.Exporter;
using Runai.Hosting;

// The workload-exporter process: hosted like every component (leader election; a standby serves no workload series).
return await ComponentHost.RunAsync("runai-exporter", args, new Dictionary<string, Func<IComponent>>
{
    [RunaiComponents.WorkloadExporter] = () => new WorkloadExporter(),
});
