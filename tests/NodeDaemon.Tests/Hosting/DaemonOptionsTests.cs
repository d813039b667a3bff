using System.Net;
using Runai.NodeDaemon.Hosting;

namespace Runai.NodeDaemon.Tests.Hosting;

public sealed class DaemonOptionsTests
{
    private static DaemonOptions? Parse(string args, Dictionary<string, string>? env = null) =>
        DaemonOptions.Parse(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), k => env?.GetValueOrDefault(k), out _);

    private static string Problem(string args)
    {
        Assert.Null(DaemonOptions.Parse(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), _ => null, out var problem));
        return problem;
    }

    [Fact]
    public void FlagsWinOverTheEnvironmentAndDefaultsFillTheRest()
    {
        var o = Parse("--node n1 --listen 127.0.0.1:9600 --interval 500ms --dcgm-names --dcgm-url=http://x:9400/metrics",
            new() { ["NODE_NAME"] = "other", ["RUNAI_NVML_LIBRARY"] = "/opt/nvml" })!;

        Assert.Equal("n1", o.Node);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9600), o.Listen);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.Interval);
        Assert.True(o.DcgmNames);
        Assert.Equal("http://x:9400/metrics", o.DcgmUrl!.ToString());
        Assert.Equal("/opt/nvml", o.NvmlLibrary);
        Assert.Equal("/var/lib/kubelet/pod-resources/kubelet.sock", o.PodResourcesSocket);
        Assert.True(o.NodeLabels);
        Assert.Equal("from-env", Parse("", new() { ["NODE_NAME"] = "from-env" })!.Node);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9500), Parse("--node a --listen :9500")!.Listen);
    }

    [Theory]
    [InlineData("", "--node is required")]
    [InlineData("--node a --interval 10ms", "--interval '10ms'")]
    [InlineData("--node a --listen nowhere", "--listen 'nowhere'")]
    [InlineData("--node a --dcgm-url ftp://x", "--dcgm-url 'ftp://x'")]
    [InlineData("--node a --frobnicate", "unknown argument '--frobnicate'")]
    [InlineData("--node a --log-level loud", "--log-level 'loud'")]
    [InlineData("--node", "--node needs a value")]
    public void BadFlagsAreNamed(string args, string expected) => Assert.Contains(expected, Problem(args));
}
