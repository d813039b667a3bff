using System.Net;
using Runai.Core.Hosting;

namespace Runai.Hosting.Tests;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData(":8080", "0.0.0.0", 8080)]
    [InlineData("0.0.0.0:8080", "0.0.0.0", 8080)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0)]
    [InlineData("localhost:9000", "127.0.0.1", 9000)]
    [InlineData("[::]:8080", "::", 8080)]
    [InlineData("[::1]:8080", "::1", 8080)]
    public void AddressesAndPortsAreRead(string text, string address, int port)
    {
        Assert.True(ListenAddress.TryParse(text, out var endpoint, out var error), error);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), endpoint);
    }

    [Theory]
    [InlineData("8080", "has no port")]
    [InlineData(":", "is not a port number")]
    [InlineData(":65536", "is not a port number")]
    [InlineData(":-1", "is not a port number")]
    [InlineData("::1:8080", "is not an IP address")]
    [InlineData("metrics.local:8080", "is not an IP address")]
    public void BadAddressesSayWhatIsWrong(string text, string expected)
    {
        Assert.False(ListenAddress.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
