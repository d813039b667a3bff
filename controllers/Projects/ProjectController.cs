using k8s.Models;
using Microsoft.Extensions.Logging;
using Runai.Core.Resources;
using Runai.Core.Runtime;

namespace Runai.Controllers.Projects;

/// <summary>The Project controller: <see cref="ProjectReconciler"/> on Projects, woken by changes to their namespaces.</summary>
internal static class ProjectController
{
    public static Controller<Project> Create(InformerFactory informers, ILoggerFactory loggers)
    {
        var projects = informers.Get(ResourceClient.Custom<Project>());
        projects.AddIndexer(ProjectReconciler.NamespaceIndex, p => [p.EffectiveNamespace]);
        var namespaces = informers.Get(ResourceClient.Namespaces);
        var reconciler = new ProjectReconciler(informers.Api, projects, namespaces, loggers.CreateLogger("Runai.Projects"), TimeProvider.System);
        return new Controller<Project>(informers, ResourceClient.Custom<Project>(), reconciler, new ControllerOptions { Name = "project" }, loggers: loggers)
            // A namespace's change (deleted, relabelled) and a rival claim both wake every project that names it.
            .Watches(ResourceClient.Namespaces, (V1Namespace ns) => projects.ByIndex(ProjectReconciler.NamespaceIndex, ns.Metadata.Name).Select(p => ObjectKey.Of(null, p.Metadata.Name)))
            .Watches(ResourceClient.Custom<Project>(), (Project p) => projects.ByIndex(ProjectReconciler.NamespaceIndex, p.EffectiveNamespace).Select(o => ObjectKey.Of(null, o.Metadata.Name)));
    }
}
