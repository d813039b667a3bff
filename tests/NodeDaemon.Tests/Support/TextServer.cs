using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Runai.NodeDaemon.Tests.Support;

/// <summary>A loopback HTTP/1.1 server answering every request with the current <see cref="Body"/> (a dcgm-exporter stand-in).</summary>
internal sealed class TextServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public TextServer(string body)
    {
        Body = body;
        listener.Start();
        loop = AcceptAsync();
    }

    public volatile string Body;
    public int Status { get; set; } = 200;
    public int Requests;

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/metrics");

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var buffer = new byte[8192];
                    var filled = 0;
                    while (!Encoding.ASCII.GetString(buffer, 0, filled).Contains("\r\n\r\n"))
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(filled));
                        if (n == 0) return;
                        filled += n;
                    }
                    Interlocked.Increment(ref Requests);
                    var body = Encoding.UTF8.GetBytes(Body);
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} X\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(head);
                    await stream.WriteAsync(body);
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop;
    }
}
