using Runai.Hosting.Tests.Support;

namespace Runai.Hosting.Tests;

/// <summary>The executables refuse a bad command line with exit code 2 and one line saying what is wrong.</summary>
public sealed class BadFlagsTests
{
    private static async Task<string> RefusedAsync(string dll, params string[] args)
    {
        await using var process = ComponentProcess.Start(dll, args);
        Assert.Equal(2, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var output = process.Output.Trim();
        Assert.DoesNotContain('\n', output);
        return output;
    }

    [Fact]
    public async Task BadCommandLinesExitWith2AndOneLine()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-kubeconfig-" + Guid.NewGuid());
        var results = await Task.WhenAll(
            RefusedAsync(Repo.ControllersDll, "--component", "nope"),
            RefusedAsync(Repo.ControllersDll),
            RefusedAsync(Repo.ControllersDll, "--component", "workload-controller", "--lease-duration", "soon"),
            RefusedAsync(Repo.ControllersDll, "--component", "workload-controller", "--kubeconfig", missing),
            RefusedAsync(Repo.ExporterDll, "--component", "workload-controller"));

        Assert.Equal("runai-controllers: unknown component 'nope' (one of: runai-admission, runai-scheduler, "
            + "shared-objects-controller, status-updater, workload-controller, workload-overseer)", results[0]);
        Assert.StartsWith("runai-controllers: --component is required (one of: runai-admission,", results[1]);
        Assert.Equal("runai-controllers: --lease-duration: 'soon' is not a duration (write it like 15s, 500ms or 1m30s)", results[2]);
        Assert.Equal($"runai-controllers: --kubeconfig: no such file {missing}", results[3]);
        Assert.Equal("runai-exporter: unknown component 'workload-controller' (one of: workload-exporter)", results[4]);
    }
}
