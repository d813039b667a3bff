using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Cluster;

/// <summary>
/// The kube-proxy stand-in: every TCP port of every Service gets a stable loopback port for the Service's life, and
/// each connection to it is forwarded to one ready endpoint (round robin), as a ClusterIP would be. A connection that finds
/// no endpoint is closed at once, as kube-proxy rejects it. Keys are <c>NAMESPACE/NAME:PORT</c>, PORT being the
/// Service port's name or, when unnamed, its number.
/// </summary>
internal sealed class ServiceForwarder : IAsyncDisposable
{
    private readonly ApiOperations _ops;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<string, Forward> _forwards = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public ServiceForwarder(ApiOperations ops, ILogger<ServiceForwarder> log)
    {
        _ops = ops;
        _log = log;
        ops.Changed += OnChanged;
        foreach (var svc in ops.Store.List("services", null).Items)
        {
            Sync(svc.Namespace, svc.Name);
        }
    }

    /// <summary>Service port → its stable URL, <c>http://127.0.0.1:PORT</c>.</summary>
    public IReadOnlyDictionary<string, string> Urls
    {
        get
        {
            lock (_gate)
            {
                return _forwards.ToDictionary(f => f.Key, f => $"http://127.0.0.1:{f.Value.Port}", StringComparer.Ordinal);
            }
        }
    }

    private void OnChanged(ResourceDefinition def, StoreEvent e)
    {
        if (def.GroupResource == "services")
        {
            Sync(e.Object.Namespace, e.Object.Name);
        }
    }

    private void Sync(string ns, string name)
    {
        var svc = _ops.Store.Get("services", ns, name)?.ToJsonObject();
        var wanted = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var port in (svc?["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (((string?)port["protocol"] ?? "TCP") != "TCP")
            {
                continue;
            }

            var portName = (string?)port["name"];
            var label = string.IsNullOrEmpty(portName) ? port["port"]?.ToString() ?? "" : portName;
            wanted[$"{ns}/{name}:{label}"] = portName;
        }

        lock (_gate)
        {
            var prefix = $"{ns}/{name}:";
            foreach (var gone in _forwards.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !wanted.ContainsKey(k)).ToList())
            {
                _forwards.Remove(gone, out var f);
                f?.Dispose();
            }

            foreach (var (key, portName) in wanted)
            {
                if (!_forwards.ContainsKey(key) && !_stop.IsCancellationRequested)
                {
                    var forward = new Forward(this, ns, name, portName);
                    _forwards[key] = forward;
                    forward.Start(_stop.Token);
                }
            }
        }
    }

    /// <summary>The ready endpoints of a Service port, as "ip:port".</summary>
    internal static IReadOnlyList<string> ReadyEndpoints(ObjectStore store, string ns, string name, string? portName)
    {
        var endpoints = store.Get("endpoints", ns, name)?.ToJsonObject();
        var found = new List<string>();
        foreach (var subset in (endpoints?["subsets"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var ports = (subset["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var port = ports.FirstOrDefault(p => (string?)p["name"] == portName || (string.IsNullOrEmpty(portName) && ports.Count == 1));
            if ((int?)port?["port"] is not { } number)
            {
                continue;
            }

            foreach (var address in (subset["addresses"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)address["ip"] is { Length: > 0 } ip)
                {
                    found.Add(string.Create(CultureInfo.InvariantCulture, $"{ip}:{number}"));
                }
            }
        }

        return found;
    }

    private sealed class Forward(ServiceForwarder owner, string ns, string name, string? portName) : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _closed = new();
        private int _next;

        public int Port { get; private set; }

        public void Start(CancellationToken stop)
        {
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            var ct = CancellationTokenSource.CreateLinkedTokenSource(stop, _closed.Token).Token;
            _ = Task.Run(() => AcceptAsync(ct), CancellationToken.None);
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
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                _ = Task.Run(() => PipeAsync(client, ct), CancellationToken.None);
            }
        }

        private async Task PipeAsync(TcpClient client, CancellationToken ct)
        {
            using (client)
            {
                var targets = ReadyEndpoints(owner._ops.Store, ns, name, portName);
                if (targets.Count == 0)
                {
                    return;
                }

                var target = targets[(int)((uint)Interlocked.Increment(ref _next) % targets.Count)];
                var colon = target.LastIndexOf(':');
                using var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(target[..colon], int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture), ct);
                    await using var a = client.GetStream();
                    await using var b = upstream.GetStream();
                    using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    var up = CopyThenShutdownAsync(a, upstream.Client, b, done.Token);
                    var down = CopyThenShutdownAsync(b, client.Client, a, done.Token);
                    await Task.WhenAll(up, down);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    owner._log.LogDebug("Forwarding {Ns}/{Name}:{Port} to {Target} ended: {Error}", ns, name, portName, target, e.Message);
                }
            }
        }

        private static async Task CopyThenShutdownAsync(Stream from, Socket toSocket, Stream to, CancellationToken ct)
        {
            await from.CopyToAsync(to, ct);
            try
            {
                toSocket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
            }
        }

        public void Dispose()
        {
            _closed.Cancel();
            _listener.Stop();
        }
    }

    public ValueTask DisposeAsync()
    {
        _ops.Changed -= OnChanged;
        _stop.Cancel();
        lock (_gate)
        {
            foreach (var f in _forwards.Values)
            {
                f.Dispose();
            }

            _forwards.Clear();
        }

        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
