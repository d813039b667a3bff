// TEMPORARY: stands in for the OpenAPI documents and the kubelet/operator stand-ins until their branches land; removed at that merge.
#pragma warning disable CS9113
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using k8s;
namespace Runai.Sim.Operators
{
    internal sealed class DefaultScheduler(IKubernetes c, ILoggerFactory l) { public Task RunAsync(CancellationToken ct) => Task.CompletedTask; }
    internal sealed class MpiOperator(IKubernetes c, ILoggerFactory l) { public Task RunAsync(CancellationToken ct) => Task.CompletedTask; }
}
namespace Runai.Sim.Kubelet
{
    internal sealed class KubeletFleet(IKubernetes c, IReadOnlyList<SimNodeSpec> n, string d, ILoggerFactory l) { public Task RunAsync(CancellationToken ct) => Task.CompletedTask; }
}
