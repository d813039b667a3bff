using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Sim.Operators.Internal;

namespace Runai.Sim.Tests.Operators;

public sealed class InformerTests
{
    /// <summary>A scripted API: each list and each watch answers the next scripted reply, and records how it was asked.</summary>
    private sealed class ScriptedApi
    {
        public Queue<(IReadOnlyList<V1Pod> Items, string Rv)> Lists { get; } = new();
        public Queue<Func<Action<Exception>, IEnumerable<(WatchEventType, V1Pod)>>> Watches { get; } = new();
        public List<string> Calls { get; } = [];
        public Channel<string> CallLog { get; } = Channel.CreateUnbounded<string>();

        public InformerSource<V1Pod> Source => new(
            "pods",
            _ =>
            {
                Record("list");
                return Task.FromResult(Lists.Count > 0 ? Lists.Dequeue() : ((IReadOnlyList<V1Pod>)[], "999"));
            },
            Watch,
            p => p.Name(),
            p => p.ResourceVersion());

        private void Record(string call)
        {
            Calls.Add(call);
            CallLog.Writer.TryWrite(call);
        }

        private async IAsyncEnumerable<(WatchEventType, V1Pod)> Watch(string rv, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
        {
            Record($"watch@{rv}");
            if (Watches.Count == 0)
            {
                await Task.Delay(Timeout.Infinite, ct);
                yield break;
            }
            foreach (var e in Watches.Dequeue()(onError)) yield return e;
        }
    }

    private static V1Pod Pod(string name, string rv) => new() { Metadata = new V1ObjectMeta { Name = name, ResourceVersion = rv } };

    private static async Task WaitForCallAsync(ScriptedApi api, string call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await api.CallLog.Reader.ReadAsync(timeout.Token) != call) { }
    }

    [Fact]
    public async Task ListsThenWatchesFromTheListsResourceVersionAndResumesFromTheLastEvent()
    {
        var api = new ScriptedApi();
        api.Lists.Enqueue(([Pod("a", "10")], "12"));
        api.Watches.Enqueue(_ => [(WatchEventType.Added, Pod("b", "13")), (WatchEventType.Modified, Pod("a", "14"))]);
        var informer = new Informer<V1Pod>(api.Source, new Signal(), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();

        var run = informer.RunAsync(stop.Token);
        await WaitForCallAsync(api, "watch@14");
        await stop.CancelAsync();
        await run;

        Assert.Equal(["list", "watch@12", "watch@14"], api.Calls);
        Assert.Equal(["a", "b"], informer.Items.Select(p => p.Name()).Order());
        Assert.Equal("14", informer.Get("a")!.ResourceVersion());
    }

    [Fact]
    public async Task GoneWatchRelistsAndDropsObjectsThatVanished()
    {
        var api = new ScriptedApi();
        api.Lists.Enqueue(([Pod("a", "10"), Pod("b", "11")], "11"));
        api.Lists.Enqueue(([Pod("b", "30")], "31"));
        api.Watches.Enqueue(onError =>
        {
            onError(new KubernetesException(new V1Status { Code = 410, Reason = "Expired", Message = "too old resource version: 11 (25)" }));
            return [];
        });
        var informer = new Informer<V1Pod>(api.Source, new Signal(), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();

        var run = informer.RunAsync(stop.Token);
        await WaitForCallAsync(api, "watch@31");
        await stop.CancelAsync();
        await run;

        Assert.Equal(["list", "watch@11", "list", "watch@31"], api.Calls);
        Assert.Equal("b", Assert.Single(informer.Items).Name());
    }

    [Fact]
    public async Task DeletedEventRemovesTheObjectAndEveryChangePulses()
    {
        var api = new ScriptedApi();
        api.Lists.Enqueue(([Pod("a", "10")], "10"));
        api.Watches.Enqueue(_ => [(WatchEventType.Deleted, Pod("a", "11"))]);
        var changed = new Signal();
        var informer = new Informer<V1Pod>(api.Source, changed, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();

        var run = informer.RunAsync(stop.Token);
        await WaitForCallAsync(api, "watch@11");

        Assert.Empty(informer.Items);
        Assert.True(await changed.WaitAsync(TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public void OwnWritesReplaceOlderCopiesButNotNewerOnes()
    {
        var informer = new Informer<V1Pod>(new ScriptedApi().Source, new Signal(), TimeProvider.System, NullLogger.Instance);

        informer.Observe(Pod("a", "20"));
        informer.Observe(Pod("a", "15"));

        Assert.Equal("20", informer.Get("a")!.ResourceVersion());
        Assert.True(Informer<V1Pod>.IsNewer("21", "20"));
        Assert.False(Informer<V1Pod>.IsNewer("19", "20"));
    }

    [Fact]
    public async Task SignalWaitTimesOutWithoutAPulseAndCollapsesManyPulsesIntoOne()
    {
        var signal = new Signal();

        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None));
        signal.Pulse();
        signal.Pulse();
        Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.Zero, TimeProvider.System, CancellationToken.None));
    }
}
