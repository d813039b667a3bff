using System.Net;
using Microsoft.Extensions.Logging;
using Runai.Core;
using Runai.Core.Hosting;

namespace Runai.Hosting.Tests;

public sealed class ComponentHostArgumentsTests
{
    private static readonly string[] Components = [RunaiComponents.WorkloadController, RunaiComponents.Scheduler, RunaiComponents.Admission];

    private static ComponentHostOptions Valid(params string[] args)
    {
        var parsed = ComponentHostArguments.Parse(["--component", "workload-controller", .. args], Components);
        Assert.Null(parsed.Error);
        return parsed.Options!;
    }

    private static string Invalid(params string[] args)
    {
        var parsed = ComponentHostArguments.Parse(args, Components);
        Assert.Null(parsed.Options);
        Assert.NotNull(parsed.Error);
        Assert.DoesNotContain('\n', parsed.Error);
        return parsed.Error;
    }

    [Fact]
    public void OnlyTheComponentIsRequiredAndEverythingElseHasTheDocumentedDefault()
    {
        var o = Valid();
        Assert.Equal("workload-controller", o.Component);
        Assert.Null(o.Kubeconfig);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 8080), o.Listen);
        Assert.Equal(LogFormat.Text, o.LogFormat);
        Assert.Equal(LogLevel.Information, o.LogLevel);
        Assert.Equal("runai", o.LeaseNamespace);
        Assert.Equal(TimeSpan.FromSeconds(15), o.Lease.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(10), o.Lease.RenewDeadline);
        Assert.Equal(TimeSpan.FromSeconds(2), o.Lease.RetryPeriod);
        Assert.Null(o.Identity);
    }

    [Fact]
    public void EveryFlagIsReadInBothSpellings()
    {
        var spaced = Valid("--kubeconfig", "/k", "--listen", "127.0.0.1:9090", "--log-format", "json", "--log-level", "debug",
            "--lease-namespace", "kube-system", "--lease-duration", "20s", "--renew-deadline", "12s", "--retry-period", "500ms",
            "--identity", "pod-a");
        var joined = Valid("--kubeconfig=/k", "--listen=127.0.0.1:9090", "--log-format=json", "--log-level=debug",
            "--lease-namespace=kube-system", "--lease-duration=20s", "--renew-deadline=12s", "--retry-period=500ms",
            "--identity=pod-a");
        Assert.Equal(spaced with { Settings = joined.Settings }, joined);
        Assert.Empty(spaced.Settings);
        Assert.Equal("/k", spaced.Kubeconfig);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9090), spaced.Listen);
        Assert.Equal(LogFormat.Json, spaced.LogFormat);
        Assert.Equal(LogLevel.Debug, spaced.LogLevel);
        Assert.Equal("kube-system", spaced.LeaseNamespace);
        Assert.Equal(new LeaseTimings
        {
            LeaseDuration = TimeSpan.FromSeconds(20),
            RenewDeadline = TimeSpan.FromSeconds(12),
            RetryPeriod = TimeSpan.FromMilliseconds(500),
        }, spaced.Lease);
        Assert.Equal("pod-a", spaced.Identity);
    }

    private static readonly Dictionary<string, IReadOnlyCollection<string>> OwnFlags = new()
    {
        ["runai-admission"] = ["--webhook-listen", "--webhook-failure-policy"],
    };

    [Fact]
    public void AComponentsOwnFlagsReachItAsSettingsInBothSpellings()
    {
        var parsed = ComponentHostArguments.Parse(["--component", "runai-admission", "--webhook-listen", ":9443", "--webhook-failure-policy=Ignore"], Components, OwnFlags);
        Assert.Null(parsed.Error);
        Assert.Equal(":9443", parsed.Options!.Settings["--webhook-listen"]);
        Assert.Equal("Ignore", parsed.Options.Settings["--webhook-failure-policy"]);
    }

    [Fact]
    public void AnotherComponentsFlagIsRefusedNamingItsOwner()
    {
        var parsed = ComponentHostArguments.Parse(["--component", "workload-controller", "--webhook-listen", ":9443"], Components, OwnFlags);
        Assert.Null(parsed.Options);
        Assert.Equal("--webhook-listen is a flag of runai-admission, not of workload-controller", parsed.Error);
        Assert.Equal("unknown flag --webhook-port",
            ComponentHostArguments.Parse(["--component", "runai-admission", "--webhook-port", "1"], Components, OwnFlags).Error);
    }

    [Theory]
    [InlineData("info", LogLevel.Information)]
    [InlineData("Information", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("warning", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("trace", LogLevel.Trace)]
    public void LogLevelsAreNamedAsOperatorsWriteThem(string text, LogLevel level) =>
        Assert.Equal(level, Valid("--log-level", text).LogLevel);

    [Fact]
    public void AMissingComponentNamesTheValidOnes()
    {
        var error = Invalid("--listen", ":8080");
        Assert.Contains("--component is required", error);
        Assert.Contains("runai-scheduler, workload-controller", error);
    }

    [Fact]
    public void AnUnknownComponentNamesTheValidOnes()
    {
        var error = Invalid("--component", "workload-exporter");
        Assert.Contains("unknown component 'workload-exporter'", error);
        Assert.Contains("runai-scheduler, workload-controller", error);
    }

    [Theory]
    [InlineData("unknown flag --verbose", "--component", "workload-controller", "--verbose", "x")]
    [InlineData("unexpected argument 'stray'", "--component", "workload-controller", "stray")]
    [InlineData("--listen needs a value", "--component", "workload-controller", "--listen")]
    [InlineData("--listen needs a value", "--component", "workload-controller", "--listen", "--log-format", "json")]
    [InlineData("--component is given twice", "--component", "workload-controller", "--component", "runai-scheduler")]
    [InlineData("--listen: 'nowhere' has no port", "--component", "workload-controller", "--listen", "nowhere")]
    [InlineData("--listen: 'x' is not a port number", "--component", "workload-controller", "--listen", "1.2.3.4:x")]
    [InlineData("--listen: 'example.com' is not an IP address", "--component", "workload-controller", "--listen", "example.com:80")]
    [InlineData("--log-format: 'xml' is not text or json", "--component", "workload-controller", "--log-format", "xml")]
    [InlineData("--log-level: 'loud'", "--component", "workload-controller", "--log-level", "loud")]
    [InlineData("--lease-namespace: 'Runai' is not a namespace name", "--component", "workload-controller", "--lease-namespace", "Runai")]
    [InlineData("--lease-duration: '15' has no unit", "--component", "workload-controller", "--lease-duration", "15")]
    [InlineData("--retry-period: must be longer than zero", "--component", "workload-controller", "--retry-period", "0s")]
    [InlineData("--lease-duration: the Lease stores whole seconds", "--component", "workload-controller", "--lease-duration", "15500ms")]
    [InlineData("--renew-deadline (15s) must be shorter than --lease-duration (15s)", "--component", "workload-controller", "--renew-deadline", "15s")]
    [InlineData("must be longer than 1.2 x --retry-period", "--component", "workload-controller", "--retry-period", "9s")]
    [InlineData("--identity needs a non-empty name", "--component", "workload-controller", "--identity", " ")]
    public void BadFlagsGetOneLineNamingTheProblem(string expected, params string[] args) =>
        Assert.Contains(expected, Invalid(args));

    [Fact]
    public void HelpIsARequestNotAnError()
    {
        var parsed = ComponentHostArguments.Parse(["--help"], Components);
        Assert.True(parsed.HelpRequested);
        Assert.Null(parsed.Error);
    }

    [Fact]
    public void TheIdentityIsThePodNameWhenTheDownwardApiGivesOne() =>
        Assert.Equal("workload-controller-7d9f-abcde", ComponentIdentity.Default(n => n == "POD_NAME" ? "workload-controller-7d9f-abcde" : null, "host"));

    [Fact]
    public void WithoutAPodNameTheIdentityIsTheHostNameWithASuffixSoTwoLocalProcessesDiffer()
    {
        var a = ComponentIdentity.Default(_ => null, "laptop");
        var b = ComponentIdentity.Default(_ => "", "laptop");
        Assert.StartsWith("laptop_", a);
        Assert.StartsWith("laptop_", b);
        Assert.NotEqual(a, b);
    }
}
