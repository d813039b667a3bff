using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Core;
using Runai.Core.Hosting;
using Runai.Core.Runtime;
using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>
/// The leadership loop in-process with components written for the test, for what the placeholder components
/// cannot show: a component's token is cancelled when another holder takes the lease, and a failing component
/// ends the run and hands the lease over.
/// </summary>
public sealed class ComponentLeadershipTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static readonly LeaseTimings Fast = new()
    {
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(500),
    };

    private ComponentLeadership Leadership(IComponent component, string identity)
    {
        var options = new ComponentHostOptions { Component = component.Name, Identity = identity, Lease = Fast };
        var context = new ComponentContext(component.Name, identity, sim.Admin, NullLoggerFactory.Instance, EmptyServices.Instance);
        var health = new ApiHealth(identity, Fast.LeaseDuration, TimeProvider.System);
        return new ComponentLeadership(component, context, options, health, NullLogger.Instance, TimeProvider.System);
    }

    [Fact]
    public async Task WhenAnotherHolderTakesTheLeaseTheComponentIsCancelledAndTheReplicaContendsAgain()
    {
        var component = new RecordingComponent("test-stolen");
        using var stop = new CancellationTokenSource();
        var run = Leadership(component, "replica-a").RunAsync(stop.Token);
        await Eventually.HoldsAsync(() => Task.FromResult(component.Starts == 1), TimeSpan.FromSeconds(10), () => "the component starts");
        Assert.Equal(1, ControllerMetrics.Leader.WithLabels("test-stolen").Value);

        // Someone else writes itself into the lease, as a replica that believed the lease expired would.
        // The holder renews meanwhile, so a write may meet a newer version (409): read again and retry, as a replica would.
        await Eventually.HoldsAsync(async () =>
        {
            var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync("test-stolen", RunaiComponents.Namespace);
            lease.Spec.HolderIdentity = "intruder";
            lease.Spec.LeaseDurationSeconds = 2;
            lease.Spec.RenewTime = DateTime.UtcNow;
            try
            {
                await sim.Admin.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "test-stolen", RunaiComponents.Namespace);
                return true;
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10), () => "the intruder writes itself into the lease");
        var clock = Stopwatch.StartNew();

        await Eventually.HoldsAsync(() => Task.FromResult(component.Stops == 1), TimeSpan.FromSeconds(10), () => "the component's token is cancelled");
        Assert.True(clock.Elapsed < Fast.RenewDeadline + 2 * Fast.RetryPeriod, $"cancelled after {clock.Elapsed.TotalSeconds:0.0}s");
        Assert.Equal(0, ControllerMetrics.Leader.WithLabels("test-stolen").Value);
        Assert.Equal(1, ControllerMetrics.LeaderTransitions.WithLabels("test-stolen", "lost").Value);

        // The intruder never renews, so once its lease runs out this replica leads again and the component restarts.
        await Eventually.HoldsAsync(() => Task.FromResult(component.Starts == 2), TimeSpan.FromSeconds(10), () => "the component starts again");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, component.Stops);
        Assert.Equal(1, ControllerMetrics.LeaderTransitions.WithLabels("test-stolen", "released").Value);
    }

    [Fact]
    public async Task AComponentThatFailsWhileLeadingEndsTheRunAndHandsTheLeaseOver()
    {
        var component = new FailingComponent("test-failing");
        var run = Leadership(component, "replica-f").RunAsync(CancellationToken.None);

        var failure = await Assert.ThrowsAsync<ComponentFailedException>(() => run.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("test-failing failed while leading: the disk is on fire", failure.Message);
        var lease = await sim.Admin.CoordinationV1.ReadNamespacedLeaseAsync("test-failing", RunaiComponents.Namespace);
        Assert.Equal("", lease.Spec.HolderIdentity);
        Assert.Equal(0, ControllerMetrics.Leader.WithLabels("test-failing").Value);
    }

    private sealed class RecordingComponent(string name) : IComponent
    {
        private int _starts;
        private int _stops;

        public string Name => name;

        public int Starts => Volatile.Read(ref _starts);

        public int Stops => Volatile.Read(ref _stops);

        public async Task RunAsync(ComponentContext context, CancellationToken leading)
        {
            Interlocked.Increment(ref _starts);
            try
            {
                await Task.Delay(Timeout.Infinite, leading);
            }
            finally
            {
                Interlocked.Increment(ref _stops);
            }
        }
    }

    private sealed class FailingComponent(string name) : IComponent
    {
        public string Name => name;

        public async Task RunAsync(ComponentContext context, CancellationToken leading)
        {
            await Task.Delay(200, leading);
            throw new InvalidOperationException("the disk is on fire");
        }
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
