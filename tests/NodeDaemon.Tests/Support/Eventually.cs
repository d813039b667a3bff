namespace Runai.NodeDaemon.Tests.Support;

internal static class Eventually
{
    /// <summary>Polls until <paramref name="probe"/> holds, or fails naming what was awaited.</summary>
    public static async Task TrueAsync(Func<Task<bool>> probe, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await probe())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out after {seconds} s waiting until {what}");
            await Task.Delay(100);
        }
    }

    public static Task TrueAsync(Func<bool> probe, string what, int seconds = 20) => TrueAsync(() => Task.FromResult(probe()), what, seconds);
}
