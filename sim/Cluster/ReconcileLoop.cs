using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Runai.Sim.Api;

namespace Runai.Sim.Cluster;

/// <summary>
/// The work queue every in-process controller here shares: keys queued by store events are reconciled one at a
/// time (duplicates collapse), and every key of the resource is reconciled again at each resync, so a missed
/// event or a failed write heals within <paramref name="resync"/>.
/// </summary>
internal sealed class ReconcileLoop : IAsyncDisposable
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<string, CancellationToken, Task> _reconcile;
    private readonly Func<IEnumerable<string>> _allKeys;
    private readonly TimeSpan _resync;
    private readonly ILogger _log;
    private readonly string _what;
    private Task _loop = Task.CompletedTask;

    public ReconcileLoop(string what, Func<string, CancellationToken, Task> reconcile, Func<IEnumerable<string>> allKeys, TimeSpan resync, ILogger log)
    {
        _what = what;
        _reconcile = reconcile;
        _allKeys = allKeys;
        _resync = resync;
        _log = log;
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public void Enqueue(string key) => _queue.Writer.TryWrite(key);

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var resync = Task.Delay(_resync, ct);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var next = _queue.Reader.WaitToReadAsync(ct).AsTask();
                var done = await Task.WhenAny(next, resync);
                var keys = new List<string>();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                if (done == resync)
                {
                    await resync; // surfaces cancellation
                    resync = Task.Delay(_resync, ct);
                    foreach (var k in _allKeys())
                    {
                        if (seen.Add(k)) keys.Add(k);
                    }
                }

                while (_queue.Reader.TryRead(out var k))
                {
                    if (seen.Add(k)) keys.Add(k);
                }

                foreach (var key in keys)
                {
                    try
                    {
                        await _reconcile(key, ct);
                    }
                    catch (ApiException e)
                    {
                        _log.LogWarning("{What} {Key}: {Message}; retried at the next resync", _what, key, e.Message);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _log.LogWarning(e, "{What} {Key} failed; retried at the next resync", _what, key);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
