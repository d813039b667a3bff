namespace Runai.Scheduling.Tests.EndToEnd;

internal static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> (and the last state) after the timeout.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> condition, string what, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(100);
        }
    }
}
