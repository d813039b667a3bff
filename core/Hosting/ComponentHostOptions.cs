using System.Net;
using Microsoft.Extensions.Logging;

namespace Runai.Core.Hosting;

/// <summary>How the component host writes its log lines.</summary>
internal enum LogFormat
{
    Text,
    Json,
}

/// <summary>The lease timings (client-go's names and defaults: 15 s lease, 10 s renew deadline, 2 s retry).</summary>
internal sealed record LeaseTimings
{
    public static LeaseTimings Default { get; } = new();

    /// <summary>How long a standby waits after the holder's last renewal before taking the lease.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failed renewal before it stops leading.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause between attempts to take or renew the lease.</summary>
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>Everything the command line decides for one component process.</summary>
internal sealed record ComponentHostOptions
{
    public required string Component { get; init; }

    /// <summary>An explicit kubeconfig; null means in-cluster config, else <c>KUBECONFIG</c> / <c>~/.kube/config</c>.</summary>
    public string? Kubeconfig { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 8080);

    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    public string LeaseNamespace { get; init; } = RunaiComponents.Namespace;

    public LeaseTimings Lease { get; init; } = LeaseTimings.Default;

    /// <summary>This replica's name in the Lease; null until <see cref="ComponentIdentity.Default"/> fills it.</summary>
    public string? Identity { get; init; }

    /// <summary>Values of the component's own flags (see <c>ComponentHostArguments.Parse</c>), by flag name.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>How a replica names itself in the Lease when <c>--identity</c> is not given.</summary>
internal static class ComponentIdentity
{
    /// <summary>The pod name from the downward API, else the host name plus a random suffix (two local processes differ).</summary>
    public static string Default(Func<string, string?> environment, string hostName)
    {
        var pod = environment("POD_NAME");
        if (!string.IsNullOrWhiteSpace(pod))
        {
            return pod.Trim();
        }

        return $"{hostName}_{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 4))}";
    }
}
