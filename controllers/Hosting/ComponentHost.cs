using System.Net;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Prometheus;
using Runai.Core.Hosting;
using Runai.Core.Runtime;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Sinks.SystemConsole.Themes;

namespace Runai.Hosting;

/// <summary>
/// The process around a component, the same for every executable that hosts one (compiled into
/// <c>Runai.Controllers</c> and <c>Runai.Exporter</c>): flags, Serilog, tracing, Kestrel with <c>/metrics</c>,
/// <c>/healthz</c> and <c>/readyz</c>, and leader election that runs the component only while it leads.
/// Exit codes: 0 after a clean shutdown, 1 when the component failed or the API client could not be set up,
/// 2 for a bad command line.
/// </summary>
internal static class ComponentHost
{
    public static async Task<int> RunAsync(string program, string[] args, IReadOnlyDictionary<string, Func<IComponent>> components,
        IReadOnlyDictionary<string, IReadOnlyCollection<string>>? componentFlags = null)
    {
        var parsed = ComponentHostArguments.Parse(args, components.Keys.ToArray(), componentFlags);
        if (parsed.HelpRequested)
        {
            Console.Out.WriteLine($"{program} {ComponentHostArguments.Usage}");
            return 0;
        }

        if (parsed.Error is { } error)
        {
            Console.Error.WriteLine($"{program}: {error}");
            return 2;
        }

        var options = parsed.Options!;
        options = options with { Identity = options.Identity ?? ComponentIdentity.Default(Environment.GetEnvironmentVariable, Environment.MachineName) };

        if (options.Kubeconfig is { } path && !File.Exists(path))
        {
            Console.Error.WriteLine($"{program}: --kubeconfig: no such file {path}");
            return 2;
        }

        KubernetesClientConfiguration kubeConfig;
        try
        {
            kubeConfig = LoadKubeConfig(options.Kubeconfig);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{program}: cannot load the Kubernetes client configuration: {e.Message}");
            return 1;
        }

        // Before the first metric is registered: keep process and runtime series, drop the per-request meter flood.
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true, SuppressMeters = true });

        var component = components[options.Component]();
        if (component is IServingComponent configurable && configurable.Configure(options) is { } settingsError)
        {
            Console.Error.WriteLine($"{program}: {settingsError}");
            return 2;
        }

        await using var logger = CreateLogger(options);
        using var kubernetes = new Kubernetes(kubeConfig);
        var health = new ApiHealth(options.Identity!, options.Lease.LeaseDuration, TimeProvider.System);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: false);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Listen));
        // Room to stop the component and release the lease before the host gives up on shutdown.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Lease.RenewDeadline + TimeSpan.FromSeconds(5));
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")))
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService(options.Component, serviceInstanceId: options.Identity))
                .WithTracing(t => t.AddSource(RunaiTelemetry.SourceName).AddOtlpExporter());
        }

        builder.Services.AddSingleton<IKubernetes>(kubernetes);
        builder.Services.AddSingleton(health);
        builder.Services.AddSingleton(new LeadershipService.Settings(component, options));
        builder.Services.AddSingleton<LeadershipService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeadershipService>());
        (component as IServingComponent)?.ConfigureHost(builder);

        await using var app = builder.Build();
        (component as IServingComponent)?.Map(app);
        if (component is IComponentEndpoints endpoints)
        {
            app.MapGet("/metrics", endpoints.WriteMetricsAsync);
        }
        else
        {
            app.MapMetrics("/metrics");
        }

        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", (ApiHealth h) =>
        {
            var r = h.Check();
            if (r.Ready && h.Leading && component is IComponentEndpoints { NotReady: { } why })
            {
                r = new Readiness(false, why);
            }
            return Results.Text((r.Ready ? "ok: " : "not ready: ") + r.Reason + "\n", statusCode: r.Ready ? 200 : 503);
        });

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Runai.Hosting");
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            log.LogCritical("cannot listen on {Listen}: {Problem}", options.Listen, e.Message);
            return 1;
        }

        log.LogInformation("{Component} {Identity} serves /metrics, /healthz and /readyz on {Urls}; API server {Api}",
            options.Component, options.Identity, string.Join(", ", app.Urls), kubeConfig.Host);
        await app.WaitForShutdownAsync();
        var failed = app.Services.GetRequiredService<LeadershipService>().Failed;
        log.LogInformation("{Component} {Identity} stopped", options.Component, options.Identity);
        return failed ? 1 : 0;
    }

    /// <summary>--kubeconfig first, then the pod's service account, then KUBECONFIG or ~/.kube/config.</summary>
    private static KubernetesClientConfiguration LoadKubeConfig(string? path)
    {
        if (path is not null)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        return KubernetesClientConfiguration.BuildConfigFromConfigFile();
    }

    private static Serilog.Core.Logger CreateLogger(ComponentHostOptions options)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(ToSerilog(options.LogLevel))
            // Framework chatter stays at warning even with --log-level debug, so debug shows this code's decisions only.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("System", LogEventLevel.Warning)
            .Enrich.WithProperty("component", options.Component)
            .Enrich.WithProperty("identity", options.Identity);
        config = options.LogFormat == LogFormat.Json
            ? config.WriteTo.Console(new CompactJsonFormatter())
            : config.WriteTo.Console(
                outputTemplate: "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} {Level:u4} {Message:lj}{NewLine}{Exception}",
                theme: ConsoleTheme.None,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        return config.CreateLogger();
    }

    private static LogEventLevel ToSerilog(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}

/// <summary>Runs <see cref="ComponentLeadership"/> for the life of the process and stops the process if the component fails.</summary>
internal sealed class LeadershipService(LeadershipService.Settings settings, IKubernetes kubernetes, ApiHealth health,
    ILoggerFactory loggers, IServiceProvider services, IHostApplicationLifetime lifetime) : BackgroundService
{
    internal sealed record Settings(IComponent Component, ComponentHostOptions Options);

    public bool Failed { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = settings.Options;
        var context = new ComponentContext(options.Component, options.Identity!, kubernetes, loggers, services);
        var leadership = new ComponentLeadership(settings.Component, context, options, health,
            loggers.CreateLogger("Runai.Hosting.Leadership"), TimeProvider.System);
        try
        {
            await leadership.RunAsync(stoppingToken);
        }
        catch (ComponentFailedException)
        {
            Failed = true;
            lifetime.StopApplication();
        }
    }
}
