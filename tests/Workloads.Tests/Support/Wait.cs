namespace Runai.Workloads.Tests.Support;

internal static class Wait
{
    /// <summary>Polls <paramref name="probe"/> until it gives a value; fails the test naming <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T?>> probe, string what, double seconds = 10)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(20);
        }
    }

    public static async Task ForAsync(Func<Task<bool>> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(20);
        }
    }
}
