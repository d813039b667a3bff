using Runai.Sim.Kubelet;

namespace Runai.Sim.Tests.Components;

public sealed class ImageMapTests
{
    [Fact]
    public void EntriesMapImagesToCommandWords()
    {
        var map = ImageMap.Parse(["runai/controllers:dev=dotnet '/opt/my dir/Runai.Controllers.dll' --flag \"a b\""]);
        Assert.Equal(["dotnet", "/opt/my dir/Runai.Controllers.dll", "--flag", "a b"], map.CommandFor("runai/controllers:dev"));
        Assert.Null(map.CommandFor("runai/exporter:dev"));
    }

    [Theory]
    [InlineData("no-equals-sign", "is not IMAGE=COMMAND")]
    [InlineData("=dotnet x.dll", "is not IMAGE=COMMAND")]
    [InlineData("image:dev=", "empty command")]
    [InlineData("image:dev=perl 'open", "unterminated")]
    public void BadEntriesAreRejectedWithTheReason(string entry, string reason)
    {
        var e = Assert.Throws<FormatException>(() => ImageMap.Parse([entry]));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFileSkipsCommentsAndNamesTheBadLine()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["# images", "", "a:1=perl a.pl", "broken"]);
            var e = Assert.Throws<FormatException>(() => ImageMap.Load(path));
            Assert.Contains($"{path}:4", e.Message, StringComparison.Ordinal);
            File.WriteAllLines(path, ["# images", "a:1=perl a.pl"]);
            Assert.Equal(["perl", "a.pl"], ImageMap.Load(path).CommandFor("a:1"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ListenIsMovedToTheRealLoopbackPort()
    {
        var (args, ports) = ContainerCommand.RewriteListen(["--component", "x", "--listen", ":8080", "--admission=0.0.0.0:9443", "--listen=[::]:9090"], asked => asked + 30000);
        Assert.Equal(["--component", "x", "--listen", "127.0.0.1:38080", "--admission=0.0.0.0:9443", "--listen=127.0.0.1:39090"], args);
        Assert.Equal(38080, ports[8080]);
        Assert.Equal(39090, ports[9090]);
    }

    [Fact]
    public void AMissingArtifactMakesTheImageUnavailable()
    {
        Assert.Null(ContainerCommand.Unavailable(["dotnet", "/built/App.dll"], p => p == "/built/App.dll", _ => "/usr/bin/dotnet"));
        Assert.Contains("/missing/App.dll does not exist", ContainerCommand.Unavailable(["dotnet", "/missing/App.dll"], _ => false, _ => "/usr/bin/dotnet"), StringComparison.Ordinal);
        Assert.Contains("not found", ContainerCommand.Unavailable(["no-such-program"], _ => false, _ => null), StringComparison.Ordinal);
    }
}
