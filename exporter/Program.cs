using Runai.Core;
using Runai.Core.Hosting;
using Runai.Hosting;

// The workload-exporter process. It leads like every component (a standby serves no workload series);
// its series arrive with the exporter's own issue, so for now it is a LeadershipOnlyComponent.
return await ComponentHost.RunAsync("runai-exporter", args, new Dictionary<string, Func<IComponent>>
{
    [RunaiComponents.WorkloadExporter] = () => new LeadershipOnlyComponent(RunaiComponents.WorkloadExporter),
});
