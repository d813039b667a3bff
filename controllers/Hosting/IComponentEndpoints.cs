using Microsoft.AspNetCore.Http;

namespace Runai.Hosting;

/// <summary>
/// Optional on a component: it answers <c>/metrics</c> itself (its own series, then the default prometheus-net
/// registry's) and may hold <c>/readyz</c> back while it leads, e.g. until its first full lists are in.
/// </summary>
internal interface IComponentEndpoints
{
    Task WriteMetricsAsync(HttpContext context);

    /// <summary>Asked only while this replica leads: why it is not ready yet although the host would be; null when it is.</summary>
    string? NotReady { get; }
}
