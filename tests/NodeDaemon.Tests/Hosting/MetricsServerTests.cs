using System.Net;
using System.Net.Sockets;
using System.Text;
using Runai.NodeDaemon.Exposition;
using Runai.NodeDaemon.Hosting;

namespace Runai.NodeDaemon.Tests.Hosting;

public sealed class MetricsServerTests : IAsyncLifetime
{
    private readonly MetricsPage page = new();
    private MetricsServer server = null!;

    public Task InitializeAsync()
    {
        page.Back.Raw("up 1\n"u8);
        page.Publish();
        server = new MetricsServer(new IPEndPoint(IPAddress.Loopback, 0), page);
        server.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    private Uri Url(string path) => new($"http://{server.LocalEndPoint}{path}");

    [Fact]
    public async Task ThePageIsServedOverOneKeptAliveConnectionAndFollowsPublishes()
    {
        var connections = 0;
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (ctx, ct) =>
            {
                Interlocked.Increment(ref connections);
                var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await s.ConnectAsync(ctx.DnsEndPoint, ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        });

        var first = await http.GetAsync(Url("/metrics"));
        Assert.Equal("up 1\n", await first.Content.ReadAsStringAsync());
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", first.Content.Headers.ContentType!.ToString());

        page.Back.Reset();
        page.Back.Raw("up 0\n"u8);
        page.Publish();
        Assert.Equal("up 0\n", await http.GetStringAsync(Url("/metrics?x=1")));
        Assert.Equal("ok\n", await http.GetStringAsync(Url("/healthz")));
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task OtherPathsAndMethodsAreRefused()
    {
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(Url("/metricsx"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(Url("/metrics"), new StringContent("x"))).StatusCode);
    }

    [Fact]
    public async Task AnOversizedRequestIsRefusedAndTheServerKeepsServing()
    {
        using (var client = new TcpClient())
        {
            await client.ConnectAsync((IPEndPoint)server.LocalEndPoint);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('a', 9000)));
            var reply = new byte[64];
            var n = await stream.ReadAsync(reply);
            Assert.StartsWith("HTTP/1.1 431", Encoding.ASCII.GetString(reply, 0, n));
        }

        using var http = new HttpClient();
        Assert.Equal("up 1\n", await http.GetStringAsync(Url("/metrics")));
    }
}
