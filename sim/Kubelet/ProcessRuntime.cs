using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Runai.Sim.Kubelet;

/// <summary>Where the process runtime puts things and how processes reach the API server.</summary>
internal sealed record ProcessRuntimeOptions
{
    public required ImageMap Images { get; init; }
    /// <summary>The API server URL written into each pod's kubeconfig.</summary>
    public required string ApiServer { get; init; }
    /// <summary>The cluster CA (PEM) written into each pod's kubeconfig.</summary>
    public required string CaPem { get; init; }
    /// <summary>Where pod logs go, as NAMESPACE_POD_CONTAINER.log (the API's pods/log reads them).</summary>
    public required string PodLogDirectory { get; init; }
    /// <summary>Per-pod files (the kubeconfig); one directory per pod.</summary>
    public required string StateDirectory { get; init; }
    /// <summary>A node's pod-resources socket, for the <c>{podResourcesSocket}</c> placeholder.</summary>
    public Func<string, string> PodResourcesSocket { get; init; } = _ => "";
    /// <summary>A node's GPU driver file for the NVML test library, for the <c>{nvmlDevices}</c> placeholder.</summary>
    public Func<string, string> NvmlDevices { get; init; } = _ => "";
    /// <summary>Longest interval between readiness probes (a probe's periodSeconds is capped to keep the simulation brisk).</summary>
    public TimeSpan MaxProbePeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The container runtime behind process-backed pods: containers whose image is in the <see cref="ImageMap"/> run as
/// real local processes (in the simulator's process group), with the pod's env (downward API resolved), a kubeconfig
/// for the pod's ServiceAccount, <c>--listen</c> moved to a free loopback port, output in the pod's log file with
/// RFC 3339 timestamps, readiness from the readinessProbe, restarts per restartPolicy with the kubelet's back-off,
/// and SIGTERM then SIGKILL after the grace period when the pod goes. Other containers of such a pod just "run".
/// </summary>
internal sealed class ProcessRuntime : IAsyncDisposable
{
    private const int Sigterm = 15;
    private const int Sigkill = 9;
    private static readonly TimeSpan BackoffReset = TimeSpan.FromMinutes(10);

    private readonly ProcessRuntimeOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, PodRun> _pods = new(StringComparer.Ordinal);
    private readonly HttpClient _probeClient = new() { Timeout = TimeSpan.FromSeconds(1) };

    public ProcessRuntime(ProcessRuntimeOptions options, ILogger<ProcessRuntime> log, TimeProvider? time = null)
    {
        _options = options;
        _log = log;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(options.PodLogDirectory);
        Directory.CreateDirectory(options.StateDirectory);
    }

    /// <summary>Raised when a process starts, exits or changes readiness (the kubelet looks at its pods again).</summary>
    public event Action? Changed;

    public ImageMap Images => _options.Images;

    /// <summary>Whether any container of the pod runs as a process here.</summary>
    public bool Runs(V1Pod pod) => (pod.Spec?.Containers ?? []).Any(c => _options.Images.CommandFor(c.Image) is not null);

    /// <summary>The process ids running now (for tests and diagnostics).</summary>
    public IReadOnlyList<int> RunningPids()
    {
        lock (_gate)
        {
            return _pods.Values.SelectMany(p => p.AllContainers()).Where(c => c.Process is not null && c.Running).Select(c => c.Pid).ToList();
        }
    }

    /// <summary>Result of one look at a pod: its containers and when to look again.</summary>
    public sealed record PodState(IReadOnlyList<ContainerView> Containers, DateTimeOffset? WakeAt, IReadOnlyDictionary<int, int> Ports);

    /// <summary>
    /// Starts what should run (first start, restart after back-off, pull retry) and answers the containers' state.
    /// </summary>
    public async Task<PodState> SyncAsync(V1Pod pod, IKubernetes client, DateTimeOffset now, CancellationToken ct)
    {
        var run = RunOf(pod);
        DateTimeOffset? wake = null;
        void WakeAt(DateTimeOffset at)
        {
            if (wake is null || at < wake) wake = at;
        }

        foreach (var spec in pod.Spec?.Containers ?? [])
        {
            var c = run.Container(spec, _options.Images.CommandFor(spec.Image) is null);
            bool due;
            lock (c)
            {
                if (c.Simulated || c.Running || c.Stopping)
                {
                    continue;
                }

                if (c.Current is { } ended && !Restarts(pod, ended.ExitCode))
                {
                    continue;
                }

                due = now >= c.NextAttempt;
                if (!due)
                {
                    WakeAt(c.NextAttempt);
                    if (c.PullError is not null) WakeAt(c.PullFailedAt + TimeSpan.FromSeconds(2));
                }
            }

            if (due)
            {
                await StartAsync(run, c, pod, spec, client, now, ct);
                lock (c)
                {
                    if (!c.Running) WakeAt(c.NextAttempt);
                }
            }
        }

        return new PodState(Views(run, pod, now), wake, run.PortsSnapshot());
    }

    /// <summary>
    /// Stops the pod's processes: SIGTERM now, SIGKILL when the grace period is over. Answers whether all have
    /// ended, and their final views.
    /// </summary>
    public (bool Done, IReadOnlyList<ContainerView> Containers) Stop(V1Pod pod, TimeSpan grace, DateTimeOffset now)
    {
        var run = RunOf(pod);
        var done = true;
        foreach (var spec in pod.Spec?.Containers ?? [])
        {
            var c = run.Container(spec, _options.Images.CommandFor(spec.Image) is null);
            lock (c)
            {
                if (c.Simulated)
                {
                    if (c.Current is null && c.EverStarted)
                    {
                        c.Current = new Termination(143, "Error", c.StartedAt, now, c.ContainerId ?? "");
                    }

                    continue;
                }

                if (!c.Running || c.Process is null)
                {
                    c.Stopping = true; // nothing starts again
                    continue;
                }

                done = false;
                if (!c.Stopping)
                {
                    c.Stopping = true;
                    c.KilledByKubelet = true;
                    c.KillAt = now + grace;
                    Signal(c.Pid, Sigterm);
                    _log.LogInformation("Stopping container {Container} of pod {Ns}/{Pod} (pid {Pid}, grace {Grace} s)", c.Name, run.Namespace, run.Name, c.Pid, (int)grace.TotalSeconds);
                    _ = KillAfterGraceAsync(c);
                }
            }
        }

        return (done, Views(run, pod, now));
    }

    /// <summary>Stops the processes of pods that are no longer there (deleted at once) and forgets them.</summary>
    public void StopMissing(IReadOnlySet<string> presentUids)
    {
        List<PodRun> gone;
        lock (_gate)
        {
            gone = _pods.Values.Where(p => !presentUids.Contains(p.Uid)).ToList();
            foreach (var p in gone) _pods.Remove(p.Uid);
        }

        foreach (var p in gone)
        {
            _ = StopRunAsync(p, TimeSpan.FromSeconds(p.GraceSeconds));
        }
    }

    public void Forget(string uid)
    {
        lock (_gate)
        {
            _pods.Remove(uid);
        }
    }

    private PodRun RunOf(V1Pod pod)
    {
        lock (_gate)
        {
            var uid = pod.Metadata!.Uid;
            if (!_pods.TryGetValue(uid, out var run))
            {
                run = _pods[uid] = new PodRun(uid, pod.Namespace(), pod.Name());
            }

            run.GraceSeconds = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec?.TerminationGracePeriodSeconds ?? 30;
            return run;
        }
    }

    private static bool Restarts(V1Pod pod, int exitCode) => (pod.Spec?.RestartPolicy ?? "Always") switch
    {
        "Never" => false,
        "OnFailure" => exitCode != 0,
        _ => true,
    };

    private List<ContainerView> Views(PodRun run, V1Pod pod, DateTimeOffset now) =>
        (pod.Spec?.Containers ?? []).Select(spec =>
        {
            var c = run.Container(spec, _options.Images.CommandFor(spec.Image) is null);
            lock (c)
            {
                var view = new ContainerView(c.Name, spec.Image ?? "", c.RestartCount, c.EverStarted) { LastTerminated = c.Last, ContainerId = c.ContainerId };
                if (c.Simulated)
                {
                    if (!c.EverStarted)
                    {
                        c.EverStarted = true;
                        c.StartedAt = now;
                        c.ContainerId = "containerd://" + PodLifecycle.Hash($"{run.Uid}/{c.Name}/0");
                    }

                    return c.Current is { } t
                        ? view with { EverStarted = true, Terminated = t, ContainerId = c.ContainerId }
                        : view with { EverStarted = true, RunningSince = c.StartedAt, Ready = true, ContainerId = c.ContainerId };
                }

                if (c.Running)
                {
                    return view with { RunningSince = c.StartedAt, Ready = c.Ready };
                }

                if (c.Current is { } ended)
                {
                    if (c.Stopping || !Restarts(pod, ended.ExitCode))
                    {
                        return view with { Terminated = ended };
                    }

                    var wait = c.NextAttempt - ended.FinishedAt;
                    return view with
                    {
                        LastTerminated = ended,
                        WaitingReason = PodLifecycle.CrashLoopBackOff,
                        WaitingMessage = $"back-off {(int)Math.Max(0, wait.TotalSeconds)}s restarting failed container={c.Name} pod={run.Name}_{run.Namespace}({run.Uid})",
                    };
                }

                if (c.PullError is { } pull)
                {
                    return now - c.PullFailedAt < TimeSpan.FromSeconds(2)
                        ? view with { WaitingReason = "ErrImagePull", WaitingMessage = $"failed to pull image \"{spec.Image}\": {pull}" }
                        : view with { WaitingReason = "ImagePullBackOff", WaitingMessage = $"Back-off pulling image \"{spec.Image}\": {pull}" };
                }

                return c.ConfigError is { } config
                    ? view with { WaitingReason = "CreateContainerConfigError", WaitingMessage = config }
                    : view with { WaitingReason = PodLifecycle.ContainerCreating };
            }
        }).ToList();

    // ---- starting ----

    private async Task StartAsync(PodRun run, ContainerRun c, V1Pod pod, V1Container spec, IKubernetes client, DateTimeOffset now, CancellationToken ct)
    {
        var node = pod.Spec?.NodeName ?? "";
        var command = ContainerCommand.Substitute(_options.Images.CommandFor(spec.Image)!, new Dictionary<string, string>
        {
            ["node"] = node,
            ["namespace"] = run.Namespace,
            ["pod"] = run.Name,
            ["podResourcesSocket"] = _options.PodResourcesSocket(node),
            ["nvmlDevices"] = _options.NvmlDevices(node),
        });
        var unavailable = ContainerCommand.Unavailable(command, p => File.Exists(p) || Directory.Exists(p), OnPath);
        if (unavailable is not null)
        {
            lock (c)
            {
                c.PullFailures++;
                c.PullError = unavailable;
                c.PullFailedAt = now;
                c.NextAttempt = now + Backoff(c.PullFailures);
            }

            if (c.PullFailures == 1)
            {
                _log.LogWarning("Pod {Ns}/{Pod}: image {Image} cannot run here: {Reason}; retrying with back-off", run.Namespace, run.Name, spec.Image, unavailable);
            }

            return;
        }

        Dictionary<string, string> env;
        string kubeconfig;
        try
        {
            kubeconfig = await EnsureKubeconfigAsync(run, pod, client, ct);
            env = await EnvironmentAsync(pod, spec, client, ct);
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or InvalidOperationException or HttpRequestException)
        {
            lock (c)
            {
                c.ConfigError = e is k8s.Autorest.HttpOperationException h ? $"{h.Response.StatusCode}: {h.Response.Content}" : e.Message;
                c.NextAttempt = now + TimeSpan.FromSeconds(2);
            }

            return;
        }

        if (spec.Command is { Count: > 0 })
        {
            _log.LogWarning("Pod {Ns}/{Pod} container {Container}: command is ignored for a mapped image; only args are passed", run.Namespace, run.Name, c.Name);
        }

        var (args, _) = ContainerCommand.RewriteListen((spec.Args ?? []).ToList(), run.RealPort);
        env["KUBECONFIG"] = kubeconfig;
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = run.Directory(_options.StateDirectory),
        };
        foreach (var word in command.Skip(1).Concat(args)) psi.ArgumentList.Add(word);
        if (!args.Contains("--kubeconfig") && !args.Any(a => a.StartsWith("--kubeconfig=", StringComparison.Ordinal)))
        {
            psi.ArgumentList.Add("--kubeconfig");
            psi.ArgumentList.Add(kubeconfig);
        }

        foreach (var (k, v) in env) psi.Environment[k] = v;

        lock (c)
        {
            var restart = c.Current is not null;
            var logPath = Path.Combine(_options.PodLogDirectory, $"{run.Namespace}_{run.Name}_{c.Name}.log");
            if (restart && File.Exists(logPath))
            {
                File.Move(logPath, Path.Combine(_options.PodLogDirectory, $"{run.Namespace}_{run.Name}_{c.Name}.previous.log"), overwrite: true);
            }

            var log = new FileStream(logPath, c.EverStarted ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            Process process;
            try
            {
                process = Process.Start(psi) ?? throw new InvalidOperationException($"{command[0]} did not start");
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                log.Dispose();
                c.PullFailures++;
                c.PullError = e.Message;
                c.PullFailedAt = now;
                c.NextAttempt = now + Backoff(c.PullFailures);
                return;
            }

            process.StandardInput.Close();
            if (restart)
            {
                c.Last = c.Current;
                c.Current = null;
                c.RestartCount++;
            }

            c.Process = process;
            c.Pid = process.Id;
            c.Running = true;
            c.Ready = false;
            c.EverStarted = true;
            c.KilledByKubelet = false;
            c.PullError = null;
            c.ConfigError = null;
            c.PullFailures = 0;
            c.StartedAt = now;
            c.ContainerId = "containerd://" + PodLifecycle.Hash($"{run.Uid}/{c.Name}/{c.RestartCount}");
            var writer = new LogWriter(log, _time);
            process.OutputDataReceived += (_, e) => writer.Line(e.Data);
            process.ErrorDataReceived += (_, e) => writer.Line(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var probe = new CancellationTokenSource();
            c.ProbeStop = probe;
            _ = MonitorAsync(run, c, process, writer, probe);
            _ = ProbeAsync(run, c, spec, probe.Token);
        }

        _log.LogInformation("Started container {Container} of pod {Ns}/{Pod}: pid {Pid}, {Command}", c.Name, run.Namespace, run.Name, c.Pid, string.Join(' ', psi.ArgumentList.Prepend(psi.FileName)));
        Changed?.Invoke();
    }

    private async Task MonitorAsync(PodRun run, ContainerRun c, Process process, LogWriter writer, CancellationTokenSource probe)
    {
        try
        {
            await process.WaitForExitAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
        }

        var now = _time.GetUtcNow();
        int code;
        try
        {
            code = process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            code = 137;
        }

        writer.Dispose();
        await probe.CancelAsync();
        lock (c)
        {
            // An outside SIGKILL is what the kernel's OOM killer sends; the kubelet's own kill is not an OOM.
            var reason = code == 0 ? "Completed" : code == 128 + Sigkill && !c.KilledByKubelet ? "OOMKilled" : "Error";
            c.Current = new Termination(code, reason, c.StartedAt, now, c.ContainerId ?? "");
            c.Running = false;
            c.Ready = false;
            c.Process = null;
            var ranFor = now - c.StartedAt;
            if (ranFor >= BackoffReset) c.BackoffLevel = 0;
            var delay = c.BackoffLevel == 0 ? TimeSpan.Zero : PodLifecycle.CrashLoopDelay(c.BackoffLevel - 1);
            c.BackoffLevel++;
            c.NextAttempt = now + delay;
            c.Exited.TrySetResult();
            c.Exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        process.Dispose();
        _log.LogInformation("Container {Container} of pod {Ns}/{Pod} (pid {Pid}) exited with code {Code}", c.Name, run.Namespace, run.Name, c.Pid, code);
        Changed?.Invoke();
    }

    private async Task KillAfterGraceAsync(ContainerRun c)
    {
        Task exited;
        DateTimeOffset killAt;
        lock (c)
        {
            exited = c.Exited.Task;
            killAt = c.KillAt;
        }

        var wait = killAt - _time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.WhenAny(exited, Task.Delay(wait, _time));
        }

        lock (c)
        {
            if (c.Running)
            {
                _log.LogWarning("Container {Container} (pid {Pid}) outlived its grace period; sending SIGKILL", c.Name, c.Pid);
                Signal(c.Pid, Sigkill);
            }
        }
    }

    private async Task StopRunAsync(PodRun run, TimeSpan grace)
    {
        var now = _time.GetUtcNow();
        var waits = new List<Task>();
        foreach (var c in run.AllContainers())
        {
            lock (c)
            {
                c.Stopping = true;
                if (!c.Running || c.Process is null) continue;
                c.KilledByKubelet = true;
                c.KillAt = now + grace;
                Signal(c.Pid, Sigterm);
                waits.Add(c.Exited.Task);
                _ = KillAfterGraceAsync(c);
            }
        }

        await Task.WhenAll(waits);
    }

    // ---- readiness ----

    private async Task ProbeAsync(PodRun run, ContainerRun c, V1Container spec, CancellationToken ct)
    {
        var probe = spec.ReadinessProbe;
        try
        {
            if (probe?.HttpGet is null && probe?.TcpSocket is null)
            {
                // No probe (or an exec probe, which is not run here): ready once started.
                SetReady(c, true);
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), _time, ct);
            var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
            if (period > _options.MaxProbePeriod) period = _options.MaxProbePeriod;
            var failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
            var failures = 0;
            var ready = false;
            while (!ct.IsCancellationRequested)
            {
                var ok = await ProbeOnceAsync(run, probe, ct);
                failures = ok ? 0 : failures + 1;
                if (ok && !ready) SetReady(c, ready = true);
                else if (!ok && ready && failures >= failureThreshold) SetReady(c, ready = false);
                // Until the first success, look often: a component is usually ready within a second or two.
                await Task.Delay(ready ? period : TimeSpan.FromMilliseconds(250), _time, ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<bool> ProbeOnceAsync(PodRun run, V1Probe probe, CancellationToken ct)
    {
        var target = probe.HttpGet?.Port ?? probe.TcpSocket!.Port;
        var asked = int.TryParse(target?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : run.NamedPort(target?.Value);
        if (asked is not { } containerPort) return false;
        var port = run.PortsSnapshot().TryGetValue(containerPort, out var real) ? real : containerPort;
        try
        {
            if (probe.HttpGet is { } get)
            {
                var path = string.IsNullOrEmpty(get.Path) ? "/" : get.Path;
                using var response = await _probeClient.GetAsync(new Uri($"http://127.0.0.1:{port}{(path.StartsWith('/') ? path : "/" + path)}"), ct);
                return (int)response.StatusCode is >= 200 and < 400;
            }

            using var socket = new TcpClient();
            await socket.ConnectAsync(IPAddress.Loopback, port, ct);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private void SetReady(ContainerRun c, bool ready)
    {
        lock (c)
        {
            if (!c.Running || c.Ready == ready) return;
            c.Ready = ready;
        }

        Changed?.Invoke();
    }

    // ---- environment and identity ----

    private async Task<string> EnsureKubeconfigAsync(PodRun run, V1Pod pod, IKubernetes client, CancellationToken ct)
    {
        var path = Path.Combine(run.Directory(_options.StateDirectory), "kubeconfig");
        if (File.Exists(path)) return path;
        var account = string.IsNullOrEmpty(pod.Spec?.ServiceAccountName) ? "default" : pod.Spec.ServiceAccountName;
        // As the kubelet does: a bound token from the TokenRequest API, for the pod's ServiceAccount.
        var request = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(
            new Authenticationv1TokenRequest { Spec = new V1TokenRequestSpec { Audiences = [], ExpirationSeconds = 3607 } }, account, run.Namespace, cancellationToken: ct);
        var token = request.Status?.Token ?? throw new InvalidOperationException($"no token issued for service account {run.Namespace}/{account}");
        await Cluster.Kubeconfig.WriteAsync(path, _options.ApiServer, _options.CaPem, account, token, "in-cluster", run.Namespace, ct);
        return path;
    }

    private static async Task<Dictionary<string, string>> EnvironmentAsync(V1Pod pod, V1Container spec, IKubernetes client, CancellationToken ct)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in spec.Env ?? [])
        {
            if (e.ValueFrom is null)
            {
                env[e.Name] = e.Value ?? "";
            }
            else if (e.ValueFrom.FieldRef is { } field)
            {
                env[e.Name] = field.FieldPath switch
                {
                    "metadata.name" => pod.Name(),
                    "metadata.namespace" => pod.Namespace(),
                    "metadata.uid" => pod.Metadata?.Uid ?? "",
                    "spec.nodeName" => pod.Spec?.NodeName ?? "",
                    "spec.serviceAccountName" => pod.Spec?.ServiceAccountName ?? "default",
                    "status.podIP" => PodPorts.LoopbackIp,
                    "status.hostIP" => pod.Status?.HostIP ?? "",
                    var p when p.StartsWith("metadata.labels['", StringComparison.Ordinal) => Lookup(pod.Metadata?.Labels, p[17..^2]),
                    var p when p.StartsWith("metadata.annotations['", StringComparison.Ordinal) => Lookup(pod.Metadata?.Annotations, p[22..^2]),
                    var p => throw new InvalidOperationException($"env {e.Name}: unsupported fieldPath {p}"),
                };
            }
            else if (e.ValueFrom.ConfigMapKeyRef is { } cm)
            {
                var map = await client.CoreV1.ReadNamespacedConfigMapAsync(cm.Name, pod.Namespace(), cancellationToken: ct);
                if (map.Data?.TryGetValue(cm.Key, out var value) == true) env[e.Name] = value;
                else if (cm.Optional != true) throw new InvalidOperationException($"couldn't find key {cm.Key} in ConfigMap {pod.Namespace()}/{cm.Name}");
            }
            else if (e.ValueFrom.SecretKeyRef is { } sk)
            {
                var secret = await client.CoreV1.ReadNamespacedSecretAsync(sk.Name, pod.Namespace(), cancellationToken: ct);
                if (secret.Data?.TryGetValue(sk.Key, out var bytes) == true) env[e.Name] = Encoding.UTF8.GetString(bytes);
                else if (sk.Optional != true) throw new InvalidOperationException($"couldn't find key {sk.Key} in Secret {pod.Namespace()}/{sk.Name}");
            }
        }

        return env;
    }

    private static string Lookup(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var v) ? v : "";

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>The kubelet's back-off: 10 s after the first failure, doubling to 300 s.</summary>
    private static TimeSpan Backoff(int failures) => PodLifecycle.CrashLoopDelay(Math.Max(0, failures - 1));

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static void Signal(int pid, int signal)
    {
        if (pid > 0) _ = Kill(pid, signal);
    }

    public async ValueTask DisposeAsync()
    {
        List<PodRun> all;
        lock (_gate)
        {
            all = [.. _pods.Values];
            _pods.Clear();
        }

        // The simulator is going away: every process gets SIGTERM and at most 5 s before SIGKILL, so none outlives it.
        await Task.WhenAll(all.Select(r => StopRunAsync(r, TimeSpan.FromSeconds(Math.Min(5, r.GraceSeconds)))))
            .WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        _probeClient.Dispose();
    }

    // ---- state ----

    private sealed class PodRun(string uid, string ns, string name)
    {
        private readonly Dictionary<string, ContainerRun> _containers = new(StringComparer.Ordinal);
        private readonly Dictionary<int, int> _ports = [];
        private readonly Dictionary<string, int> _named = new(StringComparer.Ordinal);

        public string Uid { get; } = uid;
        public string Namespace { get; } = ns;
        public string Name { get; } = name;
        public long GraceSeconds { get; set; } = 30;

        public ContainerRun Container(V1Container spec, bool simulated)
        {
            lock (_containers)
            {
                foreach (var p in spec.Ports ?? [])
                {
                    if (!string.IsNullOrEmpty(p.Name)) _named.TryAdd(p.Name, p.ContainerPort);
                }

                if (!_containers.TryGetValue(spec.Name, out var c))
                {
                    c = _containers[spec.Name] = new ContainerRun(spec.Name, simulated);
                }

                return c;
            }
        }

        public IReadOnlyList<ContainerRun> AllContainers()
        {
            lock (_containers) return [.. _containers.Values];
        }

        public int? NamedPort(string? name)
        {
            lock (_containers) return name is not null && _named.TryGetValue(name, out var p) ? p : null;
        }

        /// <summary>The real port for an asked one, chosen once per pod so it survives restarts (Endpoints stay put).</summary>
        public int RealPort(int asked)
        {
            lock (_ports)
            {
                if (_ports.TryGetValue(asked, out var real)) return real;
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                real = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                return _ports[asked] = real;
            }
        }

        public IReadOnlyDictionary<int, int> PortsSnapshot()
        {
            lock (_ports) return new Dictionary<int, int>(_ports);
        }

        public string Directory(string root)
        {
            var dir = Path.Combine(root, $"{Namespace}_{Name}");
            System.IO.Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private sealed class ContainerRun(string name, bool simulated)
    {
        public string Name { get; } = name;
        public bool Simulated { get; } = simulated;
        public Process? Process;
        public int Pid;
        public bool Running;
        public bool Ready;
        public bool EverStarted;
        public bool Stopping;
        public bool KilledByKubelet;
        public DateTimeOffset KillAt;
        public DateTimeOffset StartedAt;
        public DateTimeOffset NextAttempt;
        public string? ContainerId;
        public int RestartCount;
        public int BackoffLevel;
        public Termination? Current;
        public Termination? Last;
        public string? PullError;
        public DateTimeOffset PullFailedAt;
        public int PullFailures;
        public string? ConfigError;
        public CancellationTokenSource? ProbeStop;
        public TaskCompletionSource Exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Writes a process's output lines to its log file, each after an RFC 3339 timestamp, as CRI logs are read here.</summary>
    private sealed class LogWriter(FileStream file, TimeProvider time) : IDisposable
    {
        private readonly object _gate = new();
        private bool _closed;

        public void Line(string? text)
        {
            if (text is null) return;
            var line = Encoding.UTF8.GetBytes($"{time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)} {text}\n");
            lock (_gate)
            {
                if (_closed) return;
                file.Write(line);
                file.Flush();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _closed = true;
                file.Dispose();
            }
        }
    }
}
