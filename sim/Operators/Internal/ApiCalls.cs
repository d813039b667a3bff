using System.Net;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Runai.Sim.Operators.Internal;

/// <summary>Retries of API calls the way controllers do them: transient failures back off and retry, answers do not.</summary>
internal static class ApiCalls
{
    /// <summary>
    /// Runs <paramref name="call"/>, retrying connection failures, 429 and 5xx with jittered back-off.
    /// Other HTTP answers (404, 409, 422, …) are the caller's to interpret and are thrown at once.
    /// </summary>
    public static async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, string what, ILogger log,
        TimeProvider time, CancellationToken ct, int attempts = 6)
    {
        var backoff = Backoff.ForApi();
        while (true)
        {
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, ct) && backoff.Failures + 1 < attempts)
            {
                var delay = backoff.NextDelay();
                log.LogWarning("{What} failed ({Error}); retrying in {Delay} ms", what, Describe(e), (int)delay.TotalMilliseconds);
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
        }
    }

    public static Task RetryAsync(Func<CancellationToken, Task> call, string what, ILogger log, TimeProvider time, CancellationToken ct, int attempts = 6) =>
        RetryAsync(async c => { await call(c).ConfigureAwait(false); return true; }, what, log, time, ct, attempts);

    public static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        HttpRequestException or IOException => true,
        HttpOperationException h => h.Response.StatusCode is HttpStatusCode.TooManyRequests || (int)h.Response.StatusCode >= 500,
        _ => false,
    };

    public static bool IsStatus(Exception e, HttpStatusCode code) => e is HttpOperationException h && h.Response.StatusCode == code;

    public static string Describe(Exception e) => e is HttpOperationException h
        ? $"HTTP {(int)h.Response.StatusCode}: {Truncate(h.Response.Content)}"
        : $"{e.GetType().Name}: {e.Message}";

    private static string Truncate(string? s) => s is null ? "" : s.Length <= 300 ? s : s[..300] + "…";
}
