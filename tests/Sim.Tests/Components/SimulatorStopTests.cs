using k8s;

namespace Runai.Sim.Tests.Components;

/// <summary>The simulator's processes end with it: none is left behind when the cluster stops.</summary>
public sealed class SimulatorStopTests
{
    [Fact]
    public async Task StoppingTheClusterStopsEveryProcessItStarted()
    {
        var fixture = new ComponentClusterFixture();
        await fixture.InitializeAsync();
        int pid;
        try
        {
            await fixture.DeployAsync("stop-demo");
            pid = await fixture.PidOfAsync((await fixture.ReadyPodsAsync("stop-demo", 1))[0]);
            Assert.Equal([pid], fixture.Cluster.Processes!.RunningPids());
        }
        finally
        {
            await fixture.DisposeAsync();
        }

        Assert.False(ComponentClusterFixture.IsAlive(pid), $"pid {pid} outlived the simulator");
    }
}
