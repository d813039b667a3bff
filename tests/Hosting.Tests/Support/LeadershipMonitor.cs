namespace Runai.Hosting.Tests.Support;

/// <summary>
/// Samples every replica's <c>runai_controller_leader</c> together, many times a second, for as long as a test
/// runs, and remembers any moment when more than one said it led.
/// </summary>
internal sealed class LeadershipMonitor : IAsyncDisposable
{
    private readonly string _component;
    private readonly ComponentProcess[] _replicas;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _overlaps = [];

    public LeadershipMonitor(string component, params ComponentProcess[] replicas)
    {
        _component = component;
        _replicas = replicas;
        _loop = Task.Run(LoopAsync);
    }

    public int Samples { get; private set; }

    public IReadOnlyList<string> Overlaps => _overlaps;

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var leads = await Task.WhenAll(_replicas.Select(r => r.LeadsAsync(_component)));
            Samples++;
            if (leads.Count(l => l) > 1)
            {
                _overlaps.Add($"{DateTimeOffset.UtcNow:O}: {string.Join(", ", _replicas.Where((_, i) => leads[i]).Select(r => r.Id))} all lead");
            }

            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
