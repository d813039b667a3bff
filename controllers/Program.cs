using Runai.Controllers.Admission;
using Runai.Controllers.Overseer;
using Runai.Controllers.Scheduling;
using Runai.Controllers.Workloads;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Hosting;

// One executable for the control-plane components; --component picks which one this process runs.
// A LeadershipOnlyComponent stands in for each whose own issue has not brought its logic yet.
return await ComponentHost.RunAsync("runai-controllers", args, new Dictionary<string, Func<IComponent>>
{
    [RunaiComponents.WorkloadController] = () => new WorkloadControllerComponent(),
    [RunaiComponents.Scheduler] = () => new SchedulerComponent(),
    [RunaiComponents.Admission] = () => new AdmissionComponent(),
    [RunaiComponents.WorkloadOverseer] = () => new OverseerComponent(),
    [RunaiComponents.StatusUpdater] = () => new LeadershipOnlyComponent(RunaiComponents.StatusUpdater),
    [RunaiComponents.SharedObjectsController] = () => new LeadershipOnlyComponent(RunaiComponents.SharedObjectsController),
},
new Dictionary<string, IReadOnlyCollection<string>>
{
    [RunaiComponents.Admission] = AdmissionComponent.Flags,
});
