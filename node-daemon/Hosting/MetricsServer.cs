using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Runai.NodeDaemon.Exposition;

namespace Runai.NodeDaemon.Hosting;

/// <summary>
/// The HTTP endpoint: <c>GET /metrics</c> (the page), <c>GET /healthz</c>. HTTP/1.1 with keep-alive, on plain
/// sockets: Prometheus is its only client, and Kestrel (or HttpListener) would double the daemon's memory for
/// two fixed answers. Each connection has one pooled buffer; a scrape copies the page into it and sends it.
/// </summary>
internal sealed class MetricsServer(IPEndPoint endpoint, MetricsPage page) : IAsyncDisposable
{
    private const int MaxRequestBytes = 8 * 1024;
    private readonly Socket listener = new(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource stop = new();
    private Task? acceptLoop;

    public IPEndPoint LocalEndPoint => (IPEndPoint)listener.LocalEndPoint!;

    public void Start()
    {
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endpoint);
        listener.Listen(64);
        acceptLoop = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.Warn($"Accepting a metrics connection failed: {e.Message}");
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxRequestBytes);
        try
        {
            client.NoDelay = true;
            var filled = 0;
            while (!stop.IsCancellationRequested)
            {
                var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
                if (end < 0)
                {
                    if (filled == MaxRequestBytes)
                    {
                        await SendAsync(client, 431, "text/plain", "request header too large\n"u8.ToArray(), close: true).ConfigureAwait(false);
                        return;
                    }
                    var read = await client.ReceiveAsync(buffer.AsMemory(filled, MaxRequestBytes - filled), SocketFlags.None, stop.Token).ConfigureAwait(false);
                    if (read == 0) return;
                    filled += read;
                    continue;
                }

                var head = buffer.AsSpan(0, end);
                var lineEnd = head.IndexOf("\r\n"u8);
                var requestLine = lineEnd < 0 ? head : head[..lineEnd];
                var close = head.IndexOf("Connection: close"u8) >= 0 || head.IndexOf("connection: close"u8) >= 0 || requestLine.EndsWith("HTTP/1.0"u8);
                var consumed = end + 4;
                // Requests carry no body here (GET and HEAD); whatever follows is the next pipelined request.
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;

                if (requestLine.StartsWith("GET /metrics"u8) && IsPathEnd(requestLine, "GET /metrics"u8.Length))
                {
                    if (!await SendPageAsync(client, close).ConfigureAwait(false)) return;
                }
                else if (requestLine.StartsWith("GET /healthz"u8) && IsPathEnd(requestLine, "GET /healthz"u8.Length))
                {
                    await SendAsync(client, 200, "text/plain", "ok\n"u8.ToArray(), close).ConfigureAwait(false);
                }
                else if (requestLine.StartsWith("GET "u8))
                {
                    await SendAsync(client, 404, "text/plain", "not found: try /metrics\n"u8.ToArray(), close).ConfigureAwait(false);
                }
                else
                {
                    await SendAsync(client, 405, "text/plain", "only GET is served\n"u8.ToArray(), close: true).ConfigureAwait(false);
                    return;
                }
                if (close) return;
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The scraper went away or the server stops: nothing to answer.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            client.Dispose();
        }
    }

    private static bool IsPathEnd(ReadOnlySpan<byte> line, int at) => line.Length > at && (line[at] == (byte)' ' || line[at] == (byte)'?');

    private async Task<bool> SendPageAsync(Socket client, bool close)
    {
        // The page is copied out under the lock so a slow scraper never holds up the collector; header and body go
        // into one pooled buffer, the header written in place.
        var response = page.Read(close, static (body, close) =>
        {
            var rented = ArrayPool<byte>.Shared.Rent(256 + body.Length);
            var w = rented.AsSpan();
            var n = Append(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: "u8, 0);
            body.Length.TryFormat(w[n..], out var digits);
            n += digits;
            n = Append(w, close ? "\r\nConnection: close\r\n\r\n"u8 : "\r\nConnection: keep-alive\r\n\r\n"u8, n);
            n = Append(w, body, n);
            return (Buffer: rented, Length: n);
        });
        try
        {
            await client.SendAsync(response.Buffer.AsMemory(0, response.Length), SocketFlags.None, stop.Token).ConfigureAwait(false);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(response.Buffer);
        }
    }

    private static int Append(Span<byte> to, ReadOnlySpan<byte> bytes, int at)
    {
        bytes.CopyTo(to[at..]);
        return at + bytes.Length;
    }

    private async Task SendAsync(Socket client, int status, string type, byte[] body, bool close)
    {
        var header = Header(status, type, body.Length, close);
        await client.SendAsync(header, SocketFlags.None, stop.Token).ConfigureAwait(false);
        await client.SendAsync(body, SocketFlags.None, stop.Token).ConfigureAwait(false);
    }

    private static byte[] Header(int status, string type, int length, bool close) => Encoding.ASCII.GetBytes(
        $"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: {type}\r\nContent-Length: {length}\r\nConnection: {(close ? "close" : "keep-alive")}\r\n\r\n");

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    };

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        if (acceptLoop is not null) await acceptLoop.ConfigureAwait(false);
        stop.Dispose();
    }
}
