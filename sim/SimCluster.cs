using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Runai.Core;
using Runai.Core.Yaml;
using Runai.Sim.Api;
using Runai.Sim.Api.Admission;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Api.Storage;
using Runai.Sim.Cluster;
using Runai.Sim.Kubelet;
using Runai.Sim.Operators;

namespace Runai.Sim;

/// <summary>How to start a simulated cluster.</summary>
internal sealed record SimClusterOptions
{
    /// <summary>Loopback address and port for the API; port 0 picks a free one.</summary>
    public string Listen { get; init; } = "127.0.0.1:0";
    /// <summary>A scenario file (YAML); null starts an empty cluster with no nodes.</summary>
    public string? ScenarioPath { get; init; }
    /// <summary>Where kubeconfig, sockets and pod logs go; a temporary directory when null.</summary>
    public string? RunDirectory { get; init; }
    /// <summary>Start kubelets, the default scheduler and the MPI operator stand-in (off for API-only tests and benchmarks).</summary>
    public bool StartWorkloadSimulation { get; init; } = true;
    public ApiServerOptions Api { get; init; } = new();
    /// <summary>Directory of CRD manifests loaded at start (the product's and the third-party ones).</summary>
    public string CrdDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "crds");
    public ILoggerFactory? Loggers { get; init; }
    /// <summary>Images the kubelets run as real local processes (see <see cref="ImageMap"/>); others are simulated.</summary>
    public ImageMap Images { get; init; } = ImageMap.Empty;
    /// <summary>Manifest files or directories (every *.yaml/*.yml, in name order) applied after the scenario, like <c>kubectl apply</c>.</summary>
    public IReadOnlyList<string> Manifests { get; init; } = [];
}

/// <summary>
/// A simulated Kubernetes cluster: a real HTTP API server on loopback, its control-plane controllers, and
/// (optionally) kubelets, a default scheduler and the Kubeflow MPI operator stand-in, loaded with a scenario.
/// Unmodified clients (KubernetesClient, kubectl) use it as a small real cluster.
/// </summary>
internal sealed class SimCluster : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ControlPlaneControllers _controllers;
    private readonly WebhookAdmission _webhooks;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];
    private DaemonSetController? _daemonSets;
    private readonly List<IAsyncDisposable> _workloadControllers = [];
    private ServiceForwarder? _forwarder;
    private readonly bool _ownsRunDirectory;
    private ImageMap _images = ImageMap.Empty;
    private string _podLogs = "";

    private SimCluster(WebApplication app, ApiOperations ops, Authentication authn, ControlPlaneControllers controllers,
        WebhookAdmission webhooks, ApiServer server, Uri apiUrl, string runDirectory, bool ownsRunDirectory, ClusterCertificates certificates)
    {
        Certificates = certificates;
        _app = app;
        Operations = ops;
        Authn = authn;
        _controllers = controllers;
        _webhooks = webhooks;
        Server = server;
        ApiUrl = apiUrl;
        RunDirectory = runDirectory;
        _ownsRunDirectory = ownsRunDirectory;
    }

    public Uri ApiUrl { get; }
    public string RunDirectory { get; }
    public string KubeconfigPath => Path.Combine(RunDirectory, "kubeconfig");
    /// <summary>The cluster CA in PEM, also written to RUN_DIR/ca.crt.</summary>
    public string CaCertificatePath => Path.Combine(RunDirectory, "ca.crt");
    internal ClusterCertificates Certificates { get; }
    public string AdminToken => Authn.AdminToken;
    public IReadOnlyList<SimNodeSpec> Nodes { get; private set; } = [];
    public string SocketDirectory => Path.Combine(RunDirectory, "kubelet");
    internal ApiOperations Operations { get; }
    internal Authentication Authn { get; }
    internal ApiServer Server { get; }
    /// <summary>The container runtime of process-backed pods; null without workload simulation.</summary>
    internal ProcessRuntime? Processes { get; private set; }
    /// <summary>Stable loopback URL per Service port (<c>NAMESPACE/NAME:PORT</c>), from the kube-proxy stand-in.</summary>
    public IReadOnlyDictionary<string, string> ServiceUrls => _forwarder?.Urls ?? new Dictionary<string, string>();

    public static async Task<SimCluster> StartAsync(SimClusterOptions options, CancellationToken ct = default)
    {
        var loggers = options.Loggers ?? NullLoggerFactory.Instance;
        var ownsRunDir = options.RunDirectory is null;
        var runDir = Path.GetFullPath(options.RunDirectory ?? Directory.CreateTempSubdirectory("runai-sim-").FullName);
        Directory.CreateDirectory(runDir);
        var podLogs = Path.Combine(runDir, "pod-logs");
        Directory.CreateDirectory(podLogs);

        var store = new ObjectStore(options.Api.HistoryPerResource);
        var registry = new ResourceRegistry(BuiltInResources.All);
        var webhooks = new WebhookAdmission(store, loggers.CreateLogger<WebhookAdmission>());
        var ops = new ApiOperations(store, registry, webhooks, TimeProvider.System, loggers.CreateLogger<ApiOperations>());
        var controllers = new ControlPlaneControllers(ops, loggers.CreateLogger<ControlPlaneControllers>());
        var authn = new Authentication();
        string[] rbacResources = ["roles", "rolebindings", "clusterroles", "clusterrolebindings"];
        var authz = new RbacAuthorizer(
            plural => store.List(plural + ".rbac.authorization.k8s.io", null).Items.Select(o => o.ToJsonObject()),
            // The policy is rebuilt only when an RBAC object changed, not on every pod write.
            () => rbacResources.Sum(r => store.LastChange(r + ".rbac.authorization.k8s.io")));
        var apiOptions = options.Api with { PodLogDirectory = options.Api.PodLogDirectory ?? podLogs };
        var server = new ApiServer(ops, authn, authz, apiOptions, TimeProvider.System, null, loggers.CreateLogger<ApiServer>());

        var certificates = ClusterCertificates.Create();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null; // the API server enforces its own limit with a Status body
            k.Limits.MinRequestBodyDataRate = null;
            var ep = IPEndPoint.Parse(options.Listen);
            if (!IPAddress.IsLoopback(ep.Address))
            {
                throw new ArgumentException($"the simulated API listens on loopback only, not {options.Listen}");
            }

            k.Listen(ep, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                l.UseHttps(certificates.Server);
            });
        });
        var app = builder.Build();
        app.Map("/metrics", metrics => metrics.Run(ctx => WriteMetricsAsync(ctx, store, registry, server)));
        app.Map("/sd/pods", sd => sd.Run(ctx => WriteDiscoveryAsync(ctx, store)));
        app.Run(server.HandleAsync);
        await app.StartAsync(ct);
        var address = app.Urls.First();
        var apiUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));

        var cluster = new SimCluster(app, ops, authn, controllers, webhooks, server, apiUrl, runDir, ownsRunDir, certificates)
        {
            _images = options.Images,
            _podLogs = apiOptions.PodLogDirectory!,
        };
        await cluster.BootstrapAsync(options, ct);
        await cluster.WriteKubeconfigAsync();
        var manifests = options.Manifests.Count > 0 ? await ReadManifestsAsync(options.Manifests, ct) : [];
        // Admission webhooks are registered before the scenario's objects, as on a cluster where the platform was
        // installed before users submitted work: the seed's MPIJob pods go through runai-admission (and, with
        // failurePolicy Fail, wait for it, retried by the MPI operator) instead of slipping past it.
        var (admissionConfigs, rest) = (manifests.Where(IsWebhookConfiguration).ToList(), manifests.Where(o => !IsWebhookConfiguration(o)).ToList());
        if (admissionConfigs.Count > 0)
        {
            await cluster.ApplyManifestObjectsAsync(admissionConfigs, ct);
        }

        if (options.ScenarioPath is not null)
        {
            var scenario = Scenario.Load(options.ScenarioPath);
            cluster.Nodes = scenario.Nodes;
            if (options.StartWorkloadSimulation)
            {
                await cluster.StartWorkloadSimulationAsync(scenario.Nodes, loggers, ct);
            }

            await cluster.ApplyAsync(scenario.Objects, ct);
        }
        else if (options.StartWorkloadSimulation)
        {
            await cluster.StartWorkloadSimulationAsync([], loggers, ct);
        }

        if (rest.Count > 0)
        {
            await cluster.ApplyManifestObjectsAsync(rest, ct);
        }

        return cluster;
    }

    /// <summary>A KubernetesClient for this cluster, as the admin or with the given bearer token.</summary>
    public Kubernetes CreateClient(string? token = null) => new(new KubernetesClientConfiguration
    {
        Host = ApiUrl.ToString().TrimEnd('/'),
        AccessToken = token ?? AdminToken,
        SslCaCerts = [Certificates.Ca],
    });

    private Kubernetes ClientAs(string user, params string[] groups) =>
        CreateClient(Authn.IssueToken(new UserInfo(user, [.. groups, "system:masters", "system:authenticated"])));

    /// <summary>A token for a service account (it need not exist yet), as the TokenRequest API would issue.</summary>
    public string IssueServiceAccountToken(string ns, string name) => Authn.IssueServiceAccountToken(ns, name);

    /// <summary>Creates objects as the admin, in order (namespaces and CRDs first), through the full admission path.</summary>
    public async Task ApplyAsync(IEnumerable<JsonObject> objects, CancellationToken ct = default)
    {
        var ordered = objects.OrderBy(o => (string?)o["kind"] switch
        {
            "Namespace" => 0,
            "CustomResourceDefinition" => 1,
            "ClusterRole" or "Role" or "ServiceAccount" or "PriorityClass" => 2,
            "ClusterRoleBinding" or "RoleBinding" => 3,
            _ => 4,
        }).ToList();
        foreach (var obj in ordered)
        {
            var apiVersion = (string?)obj["apiVersion"] ?? throw new InvalidDataException($"an object has no apiVersion: {Short(obj)}");
            var kind = (string?)obj["kind"] ?? throw new InvalidDataException($"an object has no kind: {Short(obj)}");
            var def = Operations.Registry.FindKind(apiVersion, kind)
                ?? throw new InvalidDataException($"no resource serves {kind} in {apiVersion} (is its CRD loaded?)");
            var ns = def.Namespaced ? (string?)obj["metadata"]?["namespace"] ?? "default" : "";
            try
            {
                await Operations.CreateAsync(Authentication.Admin, def, ns, obj.DeepClone().AsObject(),
                    new WriteOptions { FieldManager = "runai-sim", FieldValidation = Api.Validation.FieldValidation.Strict }, ct);
            }
            catch (ApiException e) when (e.Code == 409)
            {
                // Already there (a bootstrap object the scenario repeats): keep the existing one.
            }
            catch (ApiException e)
            {
                throw new InvalidDataException($"{kind} {(string?)obj["metadata"]?["name"]}: {e.Message}", e);
            }

            if (def.Kind == "CustomResourceDefinition")
            {
                _controllers.Establish(Operations.Store.Get(def.GroupResource, "", (string)obj["metadata"]!["name"]!)!);
            }
        }
    }

    private static string Short(JsonObject o) => o.ToJsonString() is var s && s.Length > 120 ? s[..120] + "…" : s;

    private async Task BootstrapAsync(SimClusterOptions options, CancellationToken ct)
    {
        var objects = new List<JsonObject>();
        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease", RunaiComponents.Namespace })
        {
            objects.Add(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = ns },
            });
        }

        objects.AddRange(BootstrapPolicy.Objects.Select(o => o.DeepClone().AsObject()));
        if (Directory.Exists(options.CrdDirectory))
        {
            foreach (var file in Directory.GetFiles(options.CrdDirectory, "*.yaml").Order(StringComparer.Ordinal))
            {
                objects.AddRange(KubeYaml.ReadObjects(await File.ReadAllTextAsync(file, ct), file));
            }
        }

        await ApplyAsync(objects, ct);
    }

    /// <summary>
    /// Applies manifest files (or every *.yaml/*.yml of a directory) as <c>kubectl apply</c> would for new objects; an
    /// object that exists already (the runai namespace, say) gets the manifest merged in.
    /// </summary>
    public async Task ApplyManifestsAsync(IEnumerable<string> paths, CancellationToken ct = default) =>
        await ApplyManifestObjectsAsync(await ReadManifestsAsync(paths, ct), ct);

    private static bool IsWebhookConfiguration(JsonObject obj) =>
        (string?)obj["apiVersion"] == "admissionregistration.k8s.io/v1"
        && (string?)obj["kind"] is "MutatingWebhookConfiguration" or "ValidatingWebhookConfiguration";

    private static async Task<List<JsonObject>> ReadManifestsAsync(IEnumerable<string> paths, CancellationToken ct)
    {
        var objects = new List<JsonObject>();
        foreach (var path in paths)
        {
            var files = Directory.Exists(path)
                ? Directory.GetFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray()
                : File.Exists(path) ? [path] : throw new FileNotFoundException($"manifest {path} does not exist", path);
            foreach (var file in files)
            {
                try
                {
                    objects.AddRange(KubeYaml.ReadObjects(await File.ReadAllTextAsync(file, ct), file));
                }
                catch (FormatException e)
                {
                    throw new InvalidDataException($"{file}: {e.Message}", e);
                }
            }
        }

        return objects;
    }

    private async Task ApplyManifestObjectsAsync(IReadOnlyList<JsonObject> objects, CancellationToken ct)
    {
        var fresh = new List<JsonObject>();
        foreach (var obj in objects)
        {
            var apiVersion = (string?)obj["apiVersion"] ?? "";
            var def = Operations.Registry.FindKind(apiVersion, (string?)obj["kind"] ?? "");
            var name = (string?)obj["metadata"]?["name"] ?? "";
            var ns = def is { Namespaced: true } ? (string?)obj["metadata"]?["namespace"] ?? "default" : "";
            if (def is not null && Operations.Store.Get(def.GroupResource, ns, name) is not null)
            {
                await Operations.PatchAsync(Authentication.Admin, def, ns, name, "", PatchTypes.Merge, obj.DeepClone(),
                    new WriteOptions { FieldManager = "runai-sim" }, ct);
            }
            else
            {
                fresh.Add(obj);
            }
        }

        await ApplyAsync(fresh, ct);
    }

    private Task StartWorkloadSimulationAsync(IReadOnlyList<SimNodeSpec> nodes, ILoggerFactory loggers, CancellationToken ct)
    {
        Directory.CreateDirectory(SocketDirectory);
        _daemonSets = new DaemonSetController(Operations, loggers.CreateLogger<DaemonSetController>());
        _workloadControllers.Add(new DeploymentController(Operations, loggers.CreateLogger<DeploymentController>()));
        _workloadControllers.Add(new ReplicaSetController(Operations, loggers.CreateLogger<ReplicaSetController>()));
        _workloadControllers.Add(new JobController(Operations, loggers.CreateLogger<JobController>()));
        _workloadControllers.Add(new EndpointsController(Operations, loggers.CreateLogger<EndpointsController>()));
        _forwarder = new ServiceForwarder(Operations, loggers.CreateLogger<ServiceForwarder>());
        Processes = new ProcessRuntime(new ProcessRuntimeOptions
        {
            Images = _images,
            ApiServer = ApiUrl.ToString().TrimEnd('/'),
            CaPem = Certificates.CaPem,
            PodLogDirectory = _podLogs,
            StateDirectory = Path.Combine(RunDirectory, "pods"),
            PodResourcesSocket = node => PodResourcesServer.SocketPath(SocketDirectory, node),
            NvmlDevices = node => NvmlDeviceFile.PathOf(SocketDirectory, node),
        }, loggers.CreateLogger<ProcessRuntime>());
        // Each stand-in calls the API under its own name, as on a real cluster, so the per-identity audit tells
        // them apart from the admin and from the components. They hold system:masters rather than the bootstrap
        // roles a real cluster grants them: their permissions are not what the simulation is about.
        var fleet = new KubeletFleet(ClientAs("system:node:simulated-kubelet", "system:nodes"), nodes, SocketDirectory, loggers, processes: Processes);
        var scheduler = new DefaultScheduler(ClientAs("system:kube-scheduler"), loggers);
        var mpi = new MpiOperator(ClientAs("system:serviceaccount:mpi-operator:mpi-operator", "system:serviceaccounts"), loggers);
        foreach (var run in new Func<CancellationToken, Task>[] { fleet.RunAsync, scheduler.RunAsync, mpi.RunAsync })
        {
            _background.Add(Task.Run(() => run(_stop.Token), CancellationToken.None));
        }

        return WaitForNodesAsync(nodes, ct);
    }

    private async Task WaitForNodesAsync(IReadOnlyList<SimNodeSpec> nodes, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (nodes.Any(n => Operations.Store.Get("nodes", "", n.Name) is null))
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"simulated kubelets did not register nodes within 30 s: missing {string.Join(", ", nodes.Where(n => Operations.Store.Get("nodes", "", n.Name) is null).Select(n => n.Name))}");
            }

            await Task.Delay(50, ct);
        }
    }

    private async Task WriteKubeconfigAsync()
    {
        await File.WriteAllTextAsync(CaCertificatePath, Certificates.CaPem);
        await Kubeconfig.WriteAsync(KubeconfigPath, ApiUrl.ToString().TrimEnd('/'), Certificates.CaPem, "admin", AdminToken, "runai-sim", "default");
    }

    /// <summary>Prometheus HTTP service discovery (loopback callers only, no token): the ready process-backed pods' metrics ports.</summary>
    private static async Task WriteDiscoveryAsync(HttpContext ctx, ObjectStore store)
    {
        if (ctx.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
        {
            ctx.Response.StatusCode = 403;
            return;
        }

        var ns = ctx.Request.Query["namespace"].ToString();
        var targets = PodDiscovery.Targets(store.List("pods", null).Items.Select(p => p.ToJsonObject()), ns.Length == 0 ? null : ns);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(targets.ToJsonString());
    }

    private static async Task WriteMetricsAsync(HttpContext ctx, ObjectStore store, ResourceRegistry registry, ApiServer server)
    {
        var sb = new StringBuilder();
        sb.Append("# HELP apiserver_request_total Requests served by the simulated API server.\n");
        sb.Append("# TYPE apiserver_request_total counter\n");
        sb.Append(CultureInfo.InvariantCulture, $"apiserver_request_total {server.RequestCount}\n");
        sb.Append("# HELP apiserver_storage_objects Objects stored per resource.\n");
        sb.Append("# TYPE apiserver_storage_objects gauge\n");
        foreach (var r in registry.All.Select(d => d.GroupResource).Distinct().Order(StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"apiserver_storage_objects{{resource=\"{r}\"}} {store.Count(r)}\n");
        }

        sb.Append("# HELP apiserver_storage_revision The store's current resourceVersion.\n");
        sb.Append("# TYPE apiserver_storage_revision gauge\n");
        sb.Append(CultureInfo.InvariantCulture, $"apiserver_storage_revision {store.CurrentRevision}\n");
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await ctx.Response.WriteAsync(sb.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // Background loops end with cancellation; nothing they throw matters once the cluster stops.
        }

        if (Processes is not null)
        {
            await Processes.DisposeAsync();
        }

        if (_daemonSets is not null)
        {
            await _daemonSets.DisposeAsync();
        }

        foreach (var controller in _workloadControllers)
        {
            await controller.DisposeAsync();
        }

        if (_forwarder is not null)
        {
            await _forwarder.DisposeAsync();
        }

        if (!_ownsRunDirectory)
        {
            try
            {
                await File.WriteAllTextAsync(Path.Combine(RunDirectory, "audit.json"),
                    Server.Audit.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            }
            catch (IOException)
            {
                // Best effort: the run directory may be gone already.
            }
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        await _controllers.DisposeAsync();
        _webhooks.Dispose();
        Certificates.Dispose();
        _stop.Dispose();
        if (_ownsRunDirectory)
        {
            try
            {
                Directory.Delete(RunDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
