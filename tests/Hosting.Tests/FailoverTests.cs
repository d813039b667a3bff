using k8s;
using Runai.Core;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>
/// Two replicas with short lease timings (3 s lease, 2 s renew deadline, 0.5 s retry; the same code paths as
/// the defaults, scaled down): one leads, the other stands by, never both, and the standby takes over when
/// the leader is stopped either way a node stops a pod.
/// </summary>
public sealed class FailoverTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private async Task<(ComponentProcess Leader, ComponentProcess Standby)> StartPairAsync(string component)
    {
        var leader = await Replicas.StartAsync(sim.AdminKubeconfig, component, "replica-a", Replicas.FastLease);
        await Replicas.LeadsAsync(leader, component, TimeSpan.FromSeconds(15));
        var standby = await Replicas.StartAsync(sim.AdminKubeconfig, component, "replica-b", Replicas.FastLease);
        await Replicas.ReadyAsync(standby, "standing by; replica-a leads", TimeSpan.FromSeconds(10));
        Assert.False(await standby.LeadsAsync(component));
        return (leader, standby);
    }

    [Fact]
    public async Task ATerminatedLeaderReleasesItsLeaseAndTheStandbyTakesOverWithinOneLeaseDuration()
    {
        const string component = RunaiComponents.WorkloadController;
        var (leader, standby) = await StartPairAsync(component);
        await using var _ = leader;
        await using var __ = standby;
        await using (var monitor = new LeadershipMonitor(component, leader, standby))
        {
            leader.Terminate();
            var takeover = await Replicas.LeadsAsync(standby, component, Replicas.FastLeaseDuration * 3);
            Assert.Equal(0, await leader.WaitForExitAsync(TimeSpan.FromSeconds(15)));

            // Released, not expired: the standby needs one retry, not the lease duration.
            Assert.True(takeover < Replicas.FastLeaseDuration, $"took {takeover.TotalSeconds:0.0}s");
            Assert.True(leader.OutputContains("replica-a released lease runai/workload-controller"), leader.Output);
            // Under load a sample can take a while; keep watching until enough of them have looked at both replicas.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (monitor.Samples <= 5 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.True(monitor.Samples > 5, $"only {monitor.Samples} leadership samples in 20 s");
            Assert.Empty(monitor.Overlaps);
        }

        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(component, RunaiComponents.Namespace);
        Assert.Equal("replica-b", lease.Spec.HolderIdentity);
        Assert.True(standby.OutputContains("replica-b became the leader of workload-controller"), standby.Output);
    }

    [Fact]
    public async Task AKilledLeaderKeepsItsLeaseUntilItExpiresAndThenTheStandbyTakesOver()
    {
        const string component = RunaiComponents.Scheduler;
        var (leader, standby) = await StartPairAsync(component);
        await using var _ = leader;
        await using var __ = standby;
        await using var monitor = new LeadershipMonitor(component, leader, standby);

        leader.Kill();
        var takeover = await Replicas.LeadsAsync(standby, component, Replicas.FastLeaseDuration * 3);

        // The standby waits out the lease it last saw renewed (it must not take a live lease), then takes it at
        // its next retry: between one lease duration less a retry, and one lease duration plus two retries.
        Assert.InRange(takeover, Replicas.FastLeaseDuration - 2 * Replicas.FastRetryPeriod, Replicas.FastLeaseDuration + 2 * Replicas.FastRetryPeriod);
        Assert.Empty(monitor.Overlaps);
        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync(component, RunaiComponents.Namespace);
        Assert.Equal("replica-b", lease.Spec.HolderIdentity);
        Assert.True(lease.Spec.LeaseTransitions >= 1);
    }
}
