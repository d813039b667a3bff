using Microsoft.AspNetCore.Builder;
using Runai.Core.Hosting;

namespace Runai.Hosting;

/// <summary>
/// A component that also serves requests on every replica, leader or not (runai-admission's webhook: the
/// API server calls whichever replica the Service picks). Leader-only work stays in <see cref="IComponent.RunAsync"/>.
/// </summary>
internal interface IServingComponent : IComponent
{
    /// <summary>Reads the component's own flags; returns what is wrong with them, or null. Called once, before anything starts.</summary>
    string? Configure(ComponentHostOptions options);

    /// <summary>Adds listeners and services to the host before it is built.</summary>
    void ConfigureHost(WebApplicationBuilder builder);

    /// <summary>Maps endpoints and starts serving-side work (caches) once the host is built.</summary>
    void Map(WebApplication app);
}
