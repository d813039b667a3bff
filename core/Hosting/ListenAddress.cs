using System.Globalization;
using System.Net;

namespace Runai.Core.Hosting;

/// <summary>Parses <c>--listen</c>: <c>ADDR:PORT</c>, <c>[v6]:PORT</c>, or <c>:PORT</c> for every IPv4 interface.</summary>
internal static class ListenAddress
{
    public static bool TryParse(string text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Any, 0);
        error = "";
        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            error = $"'{text}' has no port (write ADDR:PORT or :PORT)";
            return false;
        }

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            error = $"'{portText}' is not a port number (0-65535)";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        IPAddress address;
        if (host.Length == 0)
        {
            address = IPAddress.Any;
        }
        else if (host == "localhost")
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address!) || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
        {
            error = $"'{host}' is not an IP address (write 0.0.0.0:8080, 127.0.0.1:8080, [::]:8080 or :8080)";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
