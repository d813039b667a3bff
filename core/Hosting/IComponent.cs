using k8s;
using Microsoft.Extensions.Logging;

namespace Runai.Core.Hosting;

/// <summary>
/// One deployable component (SPEC §1). The host starts it when this replica wins the component's lease and
/// cancels <c>leading</c> the moment the lease is lost; a component acts only inside <see cref="RunAsync"/>.
/// </summary>
public interface IComponent
{
    /// <summary>The component name: the Deployment, ServiceAccount, Lease and <c>app</c> label.</summary>
    string Name { get; }

    /// <summary>Runs until <paramref name="leading"/> is cancelled (lease lost or shutdown).</summary>
    Task RunAsync(ComponentContext context, CancellationToken leading);
}

/// <summary>What the host gives a component: the API client, logging, and its identity.</summary>
public sealed record ComponentContext(
    string Component,
    string Identity,
    IKubernetes Kubernetes,
    ILoggerFactory Loggers,
    IServiceProvider Services);
