namespace Runai.Core.Hosting;

/// <summary>What <c>/readyz</c> answers: ready or not, and why, in words an operator can act on.</summary>
internal readonly record struct Readiness(bool Ready, string Reason);

/// <summary>
/// The replica's view of the API and its lease, fed by every lease request, read by <c>/readyz</c>.
/// Ready means: the latest lease request reached the API server and was allowed, it happened within the
/// last lease duration, and this replica either leads or stands by behind another holder it has seen.
/// </summary>
internal sealed class ApiHealth(string identity, TimeSpan freshness, TimeProvider time)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _lastAnswer;
    private string? _holder;
    private string? _problem;
    private bool _refused;
    private bool _leading;

    /// <summary>True while the latest answer was 401 or 403, so the host can log the change once rather than every retry.</summary>
    public bool Refused
    {
        get
        {
            lock (_gate)
            {
                return _refused;
            }
        }
    }

    /// <summary>The API answered a lease request and allowed it; <paramref name="holder"/> is the lease holder it showed (null: no lease yet).</summary>
    public void Answered(string? holder)
    {
        lock (_gate)
        {
            _lastAnswer = time.GetUtcNow();
            _holder = holder;
            _problem = null;
            _refused = false;
        }
    }

    /// <summary>The API answered, but not with the lease (a conflict, a server error): reachable, holder unknown.</summary>
    public void AnsweredWithoutLease(string problem)
    {
        lock (_gate)
        {
            _lastAnswer = time.GetUtcNow();
            _problem = problem;
            _refused = false;
        }
    }

    /// <summary>The API answered 401 or 403: this identity's credentials or RBAC do not allow the lease request.</summary>
    public void Denied(string problem)
    {
        lock (_gate)
        {
            _problem = problem;
            _refused = true;
        }
    }

    /// <summary>The request did not reach the API server (connection refused, timeout, TLS).</summary>
    public void Unreachable(string problem)
    {
        lock (_gate)
        {
            _problem = problem;
            _refused = false;
        }
    }

    /// <summary>True while this replica holds the lease and runs the component.</summary>
    public bool Leading
    {
        get
        {
            lock (_gate)
            {
                return _leading;
            }
        }
    }

    public void SetLeading(bool leading)
    {
        lock (_gate)
        {
            _leading = leading;
            if (leading)
            {
                _holder = identity;
            }
        }
    }

    public Readiness Check()
    {
        lock (_gate)
        {
            if (_refused)
            {
                return new(false, $"the API server refuses the lease requests: {_problem}");
            }

            if (_lastAnswer is not { } last)
            {
                return new(false, _problem is null ? "the API server has not answered yet" : $"the API server has not answered yet: {_problem}");
            }

            var age = time.GetUtcNow() - last;
            if (age > freshness)
            {
                return new(false, $"no answer from the API server for {age.TotalSeconds:0}s: {_problem ?? "no request since"}");
            }

            if (_leading)
            {
                return new(true, $"leading as {identity}");
            }

            if (!string.IsNullOrEmpty(_holder) && _holder != identity)
            {
                return new(true, $"standing by; {_holder} leads");
            }

            return new(false, "the lease is free; taking it");
        }
    }
}
