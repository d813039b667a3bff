using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core.Runtime;

namespace Runai.Core.Hosting;

/// <summary>A component failed or returned while it led; the process should exit so the Deployment restarts it.</summary>
internal sealed class ComponentFailedException(string message, Exception? inner) : Exception(message, inner);

/// <summary>
/// Contends for the component's Lease with KubernetesClient's <see cref="LeaderElector"/> and runs the component
/// only while this replica holds it: started on gaining the lease, its token cancelled the moment the lease is lost,
/// then back to contending. On shutdown the lease is released so a standby takes over within one retry period.
/// </summary>
internal sealed class ComponentLeadership
{
    private readonly IComponent _component;
    private readonly ComponentContext _context;
    private readonly ComponentHostOptions _options;
    private readonly ApiHealth _health;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ObservedLeaseLock _lock;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _leading;
    private Task? _running;
    private volatile Exception? _failure;
    private volatile bool _failed;
    private string? _reportedHolder;

    public ComponentLeadership(IComponent component, ComponentContext context, ComponentHostOptions options, ApiHealth health, ILogger log, TimeProvider time)
    {
        _component = component;
        _context = context;
        _options = options;
        _health = health;
        _log = log;
        _time = time;
        _lock = new ObservedLeaseLock(context.Kubernetes, component.Name, options.LeaseNamespace, context.Identity, health, log, time);
    }

    private string Name => _component.Name;

    private string Lease => $"{_options.LeaseNamespace}/{Name}";

    /// <summary>Contends until <paramref name="stopping"/>; throws <see cref="ComponentFailedException"/> if the component failed while leading.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        ControllerMetrics.Leader.WithLabels(Name).Set(0);
        _log.LogInformation("{Identity} contends for lease {Lease} (lease {LeaseDuration}s, renew deadline {RenewDeadline}s, retry {RetryPeriod}s)",
            _context.Identity, Lease, _options.Lease.LeaseDuration.TotalSeconds, _options.Lease.RenewDeadline.TotalSeconds, _options.Lease.RetryPeriod.TotalSeconds);
        while (!stopping.IsCancellationRequested && !_failed)
        {
            using var election = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var acquired = false;
            using var elector = new LeaderElector(new LeaderElectionConfig(_lock)
            {
                LeaseDuration = _options.Lease.LeaseDuration,
                RenewDeadline = _options.Lease.RenewDeadline,
                RetryPeriod = _options.Lease.RetryPeriod,
            });
            elector.OnStartedLeading += () =>
            {
                acquired = true;
                StartComponent(election);
            };
            elector.OnStoppedLeading += () => StopComponent(released: election.IsCancellationRequested);
            elector.OnNewLeader += holder =>
            {
                // Each round has a new elector that reports the holder afresh; say it only when it changed.
                if (holder != _context.Identity && holder != _reportedHolder)
                {
                    _reportedHolder = holder;
                    _log.LogInformation("lease {Lease} is held by {Holder}; {Identity} stands by", Lease, string.IsNullOrEmpty(holder) ? "nobody" : holder, _context.Identity);
                }
            };
            // Every error the elector sees is also seen, and logged once, by the lease lock.
            elector.OnError += e => _log.LogTrace("lease {Lease}: {Problem}", Lease, e.Message);

            try
            {
                await elector.RunUntilLeadershipLostAsync(election.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (election.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // The elector gives up on errors it does not expect (a refused connection while acquiring): contend again.
                // The lease lock has already logged the cause, at most once a minute.
                _log.LogDebug("lease {Lease}: leader election stopped on an error, contending again: {Problem}", Lease, e.Message);
            }

            var handOver = acquired && election.IsCancellationRequested;

            // The elector can leave a renewal attempt running past its deadline; end it with this round.
            await election.CancelAsync().ConfigureAwait(false);
            await WaitForComponentAsync().ConfigureAwait(false);
            if (handOver)
            {
                // Stopping (or the component failed) while this replica still holds the lease: hand it over now.
                await ReleaseAsync().ConfigureAwait(false);
            }

            if (!stopping.IsCancellationRequested && !_failed)
            {
                try
                {
                    await Task.Delay(_options.Lease.RetryPeriod, _time, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        if (_failed)
        {
            throw new ComponentFailedException(
                _failure is null ? $"{Name} returned while it was leading" : $"{Name} failed while leading: {_failure.Message}", _failure);
        }
    }

    private void StartComponent(CancellationTokenSource election)
    {
        var leading = new CancellationTokenSource();
        lock (_gate)
        {
            _leading = leading;
        }

        _health.SetLeading(true);
        _reportedHolder = _context.Identity;
        ControllerMetrics.Leader.WithLabels(Name).Set(1);
        ControllerMetrics.LeaderTransitions.WithLabels(Name, "acquired").Inc();
        _log.LogInformation("{Identity} became the leader of {Component} (lease {Lease})", _context.Identity, Name, Lease);
        _ = RecordLeaderEventAsync();
        var run = Task.Run(() => _component.RunAsync(_context, leading.Token), CancellationToken.None);
        lock (_gate)
        {
            _running = run;
        }

        _ = run.ContinueWith(t =>
        {
            if (leading.IsCancellationRequested)
            {
                // Stopped because leadership ended: the expected way out, whatever the component threw on the way.
                if (t.Exception?.GetBaseException() is { } late and not OperationCanceledException)
                {
                    _log.LogWarning("{Component} threw while stopping: {Problem}", Name, late.Message);
                }

                return;
            }

            // A component that ends by itself while leading is in an unknown state: stop leading and let the process exit.
            _failure = t.Exception?.GetBaseException();
            _failed = true;
            _log.LogError(_failure, "{Component} ended while leading; giving up the lease and exiting", Name);
            try
            {
                election.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void StopComponent(bool released)
    {
        CancellationTokenSource? leading;
        lock (_gate)
        {
            leading = _leading;
        }

        // Cancel first: the component must stop acting before anything else happens.
        leading?.Cancel();
        _health.SetLeading(false);
        ControllerMetrics.Leader.WithLabels(Name).Set(0);
        ControllerMetrics.LeaderTransitions.WithLabels(Name, released ? "released" : "lost").Inc();
        if (released)
        {
            _log.LogInformation("{Identity} stops leading {Component}: shutting down", _context.Identity, Name);
        }
        else
        {
            _log.LogWarning("{Identity} lost the lease {Lease}: {Component} stopped; contending again", _context.Identity, Lease, Name);
        }
    }

    private async Task WaitForComponentAsync()
    {
        Task? running;
        CancellationTokenSource? leading;
        lock (_gate)
        {
            running = _running;
            leading = _leading;
            _running = null;
            _leading = null;
        }

        if (running is null)
        {
            return;
        }

        try
        {
            // A component gets one renew deadline to wind down; past that it is logged, and contending goes on.
            await running.WaitAsync(_options.Lease.RenewDeadline, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.LogWarning("{Component} did not stop within {Seconds}s of losing the lease", Name, _options.Lease.RenewDeadline.TotalSeconds);
        }
        catch (Exception)
        {
            // Failures are reported by the continuation in StartComponent.
        }
        finally
        {
            leading?.Dispose();
        }
    }

    /// <summary>Empties the holder as client-go does on release, so a standby takes the lease at its next retry.</summary>
    private async Task ReleaseAsync()
    {
        using var timeout = new CancellationTokenSource(_options.Lease.RenewDeadline);
        try
        {
            var lease = await _context.Kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(Name, _options.LeaseNamespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            if (lease.Spec?.HolderIdentity != _context.Identity)
            {
                return;
            }

            var now = _time.GetUtcNow().UtcDateTime;
            lease.Spec.HolderIdentity = "";
            lease.Spec.LeaseDurationSeconds = 1;
            lease.Spec.AcquireTime = now;
            lease.Spec.RenewTime = now;
            await _context.Kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, Name, _options.LeaseNamespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            _log.LogInformation("{Identity} released lease {Lease}", _context.Identity, Lease);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            _log.LogWarning("{Identity} could not release lease {Lease}; a standby takes it when it expires: {Problem}", _context.Identity, Lease, e.Message);
        }
    }

    /// <summary>The event client-go's elector records, so <c>kubectl get events -n runai</c> shows who led when.</summary>
    private async Task RecordLeaderEventAsync()
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{Name}.{now.Ticks:x}", NamespaceProperty = _options.LeaseNamespace },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = "coordination.k8s.io/v1",
                Kind = "Lease",
                Name = Name,
                NamespaceProperty = _options.LeaseNamespace,
            },
            Reason = "LeaderElection",
            Message = $"{_context.Identity} became leader",
            Type = "Normal",
            Source = new V1EventSource { Component = Name },
            ReportingComponent = Name,
            ReportingInstance = _context.Identity,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        try
        {
            await _context.Kubernetes.CoreV1.CreateNamespacedEventAsync(ev, _options.LeaseNamespace).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            ControllerMetrics.ApiForbidden.WithLabels(Name, "events", "create").Inc();
            _log.LogWarning("the API server answered 403 Forbidden to create events in {Namespace}: the ServiceAccount lacks RBAC for events", _options.LeaseNamespace);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            _log.LogDebug("could not record the leader event: {Problem}", e.Message);
        }
    }
}
