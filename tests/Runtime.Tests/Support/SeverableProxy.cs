using System.Net;
using System.Net.Sockets;

namespace Runai.Runtime.Tests.Support;

/// <summary>
/// A loopback TCP relay in front of the simulated API server (TLS passes through untouched). <see cref="Sever"/> cuts
/// every connection at once, as a dropped network or a restarted API server would; while <see cref="Blocked"/>, new
/// connections are accepted and closed at once, so clients cannot reconnect.
/// </summary>
internal sealed class SeverableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _pairs = [];
    private readonly Task _accepting;
    private volatile bool _blocked;

    public SeverableProxy(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accepting = AcceptAsync(_stop.Token);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public bool Blocked
    {
        get => _blocked;
        set => _blocked = value;
    }

    /// <summary>Connections severed so far.</summary>
    public int Severed { get; private set; }

    public void Sever()
    {
        lock (_gate)
        {
            foreach (var (client, server) in _pairs)
            {
                // Linger 0 sends RST: the client sees a broken connection, not a clean end of stream.
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                server.Dispose();
                Severed++;
            }

            _pairs.Clear();
        }
    }

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }

            if (_blocked)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            _ = RelayAsync(client, ct);
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationToken ct)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_target, ct);
        }
        catch (Exception)
        {
            client.Dispose();
            server.Dispose();
            return;
        }

        lock (_gate)
        {
            _pairs.Add((client, server));
        }

        try
        {
            var up = client.GetStream().CopyToAsync(server.GetStream(), ct);
            var down = server.GetStream().CopyToAsync(client.GetStream(), ct);
            await Task.WhenAny(up, down);
        }
        catch (Exception)
        {
            // Either side went away (or was severed): close both.
        }
        finally
        {
            lock (_gate)
            {
                _pairs.Remove((client, server));
            }

            client.Dispose();
            server.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Sever();
        await _accepting;
        _stop.Dispose();
    }
}
