using Runai.Core;

namespace Runai.Hosting.Tests.Support;

/// <summary>Starting component hosts the way the tests need them.</summary>
internal static class Replicas
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Short lease timings for tests where only the scale of time differs from the defaults.</summary>
    public static readonly string[] FastLease = ["--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "500ms"];

    public static readonly TimeSpan FastLeaseDuration = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan FastRetryPeriod = TimeSpan.FromMilliseconds(500);

    public static async Task<ComponentProcess> StartAsync(string kubeconfig, string component, string identity, params string[] extra)
    {
        var dll = component == RunaiComponents.WorkloadExporter ? Repo.ExporterDll : Repo.ControllersDll;
        var replica = ComponentProcess.Start(dll,
            ["--component", component, "--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0", "--identity", identity, .. extra]);
        await replica.WaitForUrlAsync(StartTimeout);
        return replica;
    }

    public static Task<TimeSpan> LeadsAsync(ComponentProcess replica, string component, TimeSpan timeout) =>
        Eventually.HoldsAsync(() => replica.LeadsAsync(component), timeout, () => $"{component} replica {replica.Id} leads; its output:\n{replica.Output}");

    public static Task<TimeSpan> ReadyAsync(ComponentProcess replica, string expectedReason, TimeSpan timeout) =>
        Eventually.HoldsAsync(async () =>
        {
            var (status, body) = await replica.GetAsync("/readyz");
            return status == System.Net.HttpStatusCode.OK && body.Contains(expectedReason, StringComparison.Ordinal);
        }, timeout, () => $"/readyz says '{expectedReason}'; output:\n{replica.Output}");
}
