using System.Net;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;
using Runai.Core.Runtime;

namespace Runai.Core.Hosting;

/// <summary>
/// KubernetesClient's <see cref="LeaseLock"/>, watched: every lease request tells <see cref="ApiHealth"/> whether the
/// API answered, and a 403 is counted and logged plainly, because the elector itself only retries in silence.
/// </summary>
internal sealed class ObservedLeaseLock : ILock
{
    // A failing replica retries every retry period; one warning a minute keeps the cause visible without flooding.
    private static readonly TimeSpan RepeatLogInterval = TimeSpan.FromMinutes(1);

    private readonly LeaseLock _inner;
    private readonly string _component;
    private readonly string _namespace;
    private readonly string _name;
    private readonly ApiHealth _health;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private DateTimeOffset _lastForbiddenLog = DateTimeOffset.MinValue;
    private DateTimeOffset? _unreachableSince;
    private DateTimeOffset _lastUnreachableLog = DateTimeOffset.MinValue;

    public ObservedLeaseLock(IKubernetes client, string component, string ns, string identity, ApiHealth health, ILogger log, TimeProvider time)
    {
        _inner = new LeaseLock(client, ns, component, identity);
        _inner.OnHttpError += OnHttpError;
        _component = component;
        _namespace = ns;
        _name = component;
        _health = health;
        _log = log;
        _time = time;
    }

    public string Identity => _inner.Identity;

    public string Describe() => _inner.Describe();

    public async Task<LeaderElectionRecord> GetAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var record = await _inner.GetAsync(cancellationToken).ConfigureAwait(false);
            Answered(record.HolderIdentity);
            return record;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
            Answered(null);
            throw;
        }
        catch (HttpOperationException e)
        {
            OnHttpError(e);
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _health.Unreachable(e.Message);
            var now = _time.GetUtcNow();
            _unreachableSince ??= now;
            if (now - _lastUnreachableLog >= RepeatLogInterval)
            {
                _lastUnreachableLog = now;
                _log.LogWarning("lease {Lease}: the API server cannot be reached (for {Seconds:0}s now); retrying: {Problem}",
                    Describe(), (now - _unreachableSince.Value).TotalSeconds, e.Message);
            }

            throw;
        }
    }

    public async Task<bool> CreateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default)
    {
        var created = await _inner.CreateAsync(record, cancellationToken).ConfigureAwait(false);
        if (created)
        {
            Answered(record.HolderIdentity);
        }

        return created;
    }

    public async Task<bool> UpdateAsync(LeaderElectionRecord record, CancellationToken cancellationToken = default)
    {
        var updated = await _inner.UpdateAsync(record, cancellationToken).ConfigureAwait(false);
        if (updated)
        {
            Answered(record.HolderIdentity);
        }

        return updated;
    }

    private void Answered(string? holder)
    {
        if (_unreachableSince is { } since)
        {
            _log.LogInformation("lease {Lease}: the API server answers again after {Seconds:0}s", Describe(), (_time.GetUtcNow() - since).TotalSeconds);
            _unreachableSince = null;
            _lastUnreachableLog = DateTimeOffset.MinValue;
        }

        if (_health.Refused)
        {
            _log.LogInformation("lease {Lease}: the API server allows the lease requests again", Describe());
        }

        _health.Answered(holder);
    }

    private void OnHttpError(HttpOperationException e)
    {
        var status = e.Response?.StatusCode;
        var verb = VerbOf(e.Request?.Method);
        if (status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            var forbidden = status == HttpStatusCode.Forbidden;
            if (forbidden)
            {
                ControllerMetrics.ApiForbidden.WithLabels(_component, "leases", verb).Inc();
            }

            var firstTime = !_health.Refused;
            _health.Denied(forbidden
                ? $"403 Forbidden to {verb} leases/{_name} in {_namespace} as {Identity} (RBAC: ClusterRole/ClusterRoleBinding {_component})"
                : $"401 Unauthorized to {verb} leases/{_name}: the API server does not accept this replica's credentials");
            var now = _time.GetUtcNow();
            if (firstTime || now - _lastForbiddenLog >= RepeatLogInterval)
            {
                _lastForbiddenLog = now;
                if (forbidden)
                {
                    _log.LogWarning(
                        "lease {Lease}: the API server answered 403 Forbidden to {Verb}: the ServiceAccount lacks RBAC for leases " +
                        "(ClusterRole/ClusterRoleBinding {Component}); not leading, retrying. {Message}",
                        Describe(), verb, _component, ShortBody(e));
                }
                else
                {
                    _log.LogWarning("lease {Lease}: the API server answered 401 Unauthorized to {Verb}: its credentials are not accepted; not leading, retrying",
                        Describe(), verb);
                }
            }

            return;
        }

        // Anything else the API answered (a 409 when another replica renewed first, a 5xx) still proves it is reachable.
        _health.AnsweredWithoutLease($"{verb} leases/{_name}: HTTP {(int?)status}");
        _log.LogDebug("lease {Lease}: {Verb} answered HTTP {Status}", Describe(), verb, (int?)status);
    }

    private static string VerbOf(HttpMethod? method) => method?.Method switch
    {
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" => "delete",
        _ => "unknown",
    };

    private static string ShortBody(HttpOperationException e)
    {
        var body = e.Response?.Content ?? e.Message;
        return body.Length > 300 ? body[..300] + "…" : body;
    }
}
