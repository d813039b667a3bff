using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Runai.Core.Runtime;

/// <summary>
/// The process's shared informers: one per resource type and namespace, however many controllers ask. Informers asked
/// for before <see cref="RunAsync"/> start with it; ones asked for while it runs start at once. A factory runs once; a
/// component makes a new one each time it starts leading, so a new term starts from a fresh list.
/// </summary>
public sealed class InformerFactory
{
    private readonly IKubernetes _api;
    private readonly string _component;
    private readonly ILoggerFactory _loggers;
    private readonly Lock _gate = new();
    private readonly Dictionary<(Type, string, string?), object> _informers = [];
    private readonly List<Func<CancellationToken, Task>> _pending = [];
    private readonly List<Task> _running = [];
    private CancellationToken _runToken;
    private int _state; // 0 new, 1 running, 2 stopped

    public InformerFactory(IKubernetes api, string component, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        _api = api;
        _component = component;
        _loggers = loggers ?? NullLoggerFactory.Instance;
    }

    public IKubernetes Api => _api;

    public string Component => _component;

    /// <summary>
    /// The informer for <paramref name="resource"/> (in <see cref="InformerOptions{T}.Namespace"/>); the first caller's
    /// options decide its transform and timings.
    /// </summary>
    public SharedInformer<T> Get<T>(ResourceClient<T> resource, InformerOptions<T>? options = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(resource);
        options ??= InformerOptions<T>.Default;
        lock (_gate)
        {
            var id = (typeof(T), resource.Resource, options.Namespace);
            if (_informers.TryGetValue(id, out var existing))
            {
                return (SharedInformer<T>)existing;
            }

            var informer = new SharedInformer<T>(_api, resource, options, _component,
                _loggers.CreateLogger($"Runai.Core.Runtime.Informer.{resource.Resource}"));
            _informers[id] = informer;
            switch (_state)
            {
                case 0:
                    _pending.Add(informer.RunAsync);
                    break;
                case 1:
                    _running.Add(Task.Run(() => informer.RunAsync(_runToken), CancellationToken.None));
                    break;
                default:
                    throw new InvalidOperationException("this informer factory has stopped; make a new one");
            }

            return informer;
        }
    }

    /// <summary>Runs every informer until <paramref name="ct"/> is cancelled, and returns once all have stopped.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_state != 0)
            {
                throw new InvalidOperationException("an informer factory runs once; make a new one");
            }

            _state = 1;
            _runToken = ct;
            foreach (var run in _pending)
            {
                _running.Add(Task.Run(() => run(ct), CancellationToken.None));
            }

            _pending.Clear();
        }

        try
        {
            await ct.WaitHandleAsync().ConfigureAwait(false);
        }
        finally
        {
            Task[] all;
            lock (_gate)
            {
                _state = 2;
                all = [.. _running];
            }

            await Task.WhenAll(all).ConfigureAwait(false);
        }
    }
}

internal static class CancellationTokenExtensions
{
    /// <summary>Completes (successfully) when the token is cancelled.</summary>
    public static Task WaitHandleAsync(this CancellationToken ct)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = ct.Register(() => done.TrySetResult());
        return done.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
