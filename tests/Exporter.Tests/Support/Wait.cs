namespace Runai.Exporter.Tests.Support;

internal static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test naming <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or FormatException or InvalidOperationException or Xunit.Sdk.XunitException)
            {
                last = e;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"timed out after {seconds} s waiting for {what}{(last is null ? "" : ": " + last.Message)}");
    }

    public static Task UntilAsync(Func<bool> condition, string what, double seconds = 20) =>
        UntilAsync(() => Task.FromResult(condition()), what, seconds);
}

internal static class FreePort
{
    public static int Next()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
