using k8s;
using Runai.Core;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>The production timings (15 s lease, 10 s renew deadline, 2 s retry) with a leader killed outright.</summary>
public sealed class DefaultLeaseFailoverTests(SimFixture sim) : IClassFixture<SimFixture>
{
    [Fact]
    public async Task WithTheDefaultTimingsAKilledLeadersStandbyTakesOverOnceTheLeaseExpires()
    {
        const string component = RunaiComponents.WorkloadOverseer;
        var leaseDuration = TimeSpan.FromSeconds(15);
        var retry = TimeSpan.FromSeconds(2);
        await using var leader = await Replicas.StartAsync(sim.AdminKubeconfig, component, "overseer-a");
        await Replicas.LeadsAsync(leader, component, TimeSpan.FromSeconds(15));
        await using var standby = await Replicas.StartAsync(sim.AdminKubeconfig, component, "overseer-b");
        await Replicas.ReadyAsync(standby, "standing by; overseer-a leads", TimeSpan.FromSeconds(15));
        await using var monitor = new LeadershipMonitor(component, leader, standby);

        leader.Kill();
        var takeover = await Replicas.LeadsAsync(standby, component, leaseDuration * 2);

        Assert.InRange(takeover, leaseDuration - 2 * retry, leaseDuration + 2 * retry);
        Assert.Empty(monitor.Overlaps);
        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(component, RunaiComponents.Namespace);
        Assert.Equal("overseer-b", lease.Spec.HolderIdentity);
    }
}
