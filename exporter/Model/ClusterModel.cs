using Runai.Core;
using Runai.Core.Workloads;
using Runai.Exporter.Exposition;

namespace Runai.Exporter.Model;

/// <summary>
/// The exporter's picture of the cluster, fed by informer events, and the series it renders from it. Each change
/// re-renders only the objects whose series it moves (a workload and its project for a workload or pod; a node for a
/// pod bound to it; a component for its pods), so a scrape only concatenates. Thread-safe: events are applied under one
/// lock; scrapes read the <see cref="FamilyGroup"/>s without it.
/// </summary>
internal sealed class ClusterModel
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, WorkloadFacts> _workloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WorkloadView> _views = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _workloadsByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodFacts> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _podsByWorkload = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _podsByNode = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _podsByComponent = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodGroupFacts> _podGroups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _podGroupByWorkload = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProjectFacts> _projects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _projectByNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeFacts> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Desired, int Ready)> _deployments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _invalidAnnotations = new(StringComparer.Ordinal);
    private readonly HashSet<(char Kind, string Key)> _dirty = [];
    private bool _deferred;

    public ExporterFamilies Families { get; } = new();

    /// <summary>Told when the number of workloads carrying an unreadable value of an annotation changes.</summary>
    public Action<string, int>? InvalidAnnotationsChanged { get; init; }

    public int WorkloadCount
    {
        get
        {
            lock (_gate) return _workloads.Count;
        }
    }

    // ---- workloads -------------------------------------------------------------------------------------------

    public void SetWorkload(WorkloadFacts facts)
    {
        lock (_gate)
        {
            var key = facts.Key;
            if (_workloads.TryGetValue(key, out var old)) CountInvalid(old, -1);
            _workloads[key] = facts;
            CountInvalid(facts, +1);
            Index(_workloadsByNamespace, facts.Ref.Namespace, key);
            RenderWorkload(key);
            RenderProjectOf(facts.Ref.Namespace);
        }
    }

    public void RemoveWorkload(WorkloadRef workload)
    {
        lock (_gate)
        {
            var key = Keys.Workload(workload);
            if (!_workloads.Remove(key, out var old)) return;
            CountInvalid(old, -1);
            _views.Remove(key);
            Unindex(_workloadsByNamespace, workload.Namespace, key);
            Families.Workloads.Remove(key);
            RenderProjectOf(workload.Namespace);
        }
    }

    // ---- pods --------------------------------------------------------------------------------------------------

    public void SetPod(PodFacts facts)
    {
        lock (_gate)
        {
            _pods.TryGetValue(facts.Key, out var old);
            if (old is not null) UnindexPod(old);
            _pods[facts.Key] = facts;
            IndexPod(facts);
            AfterPodChange(old, facts);
        }
    }

    public void RemovePod(string key)
    {
        lock (_gate)
        {
            if (!_pods.Remove(key, out var old)) return;
            UnindexPod(old);
            AfterPodChange(old, null);
        }
    }

    // ---- pod groups, projects, nodes ----------------------------------------------------------------------------

    public void SetPodGroup(PodGroupFacts facts)
    {
        lock (_gate)
        {
            RemovePodGroupLocked(facts.Key);
            _podGroups[facts.Key] = facts;
            if (facts.Workload is { } w)
            {
                var workload = Keys.Workload(w);
                _podGroupByWorkload[workload] = facts.Key;
                RenderWorkload(workload);
                RenderProjectOf(w.Namespace);
            }
        }
    }

    public void RemovePodGroup(string key)
    {
        lock (_gate) RemovePodGroupLocked(key);
    }

    public void SetProject(ProjectFacts facts)
    {
        lock (_gate)
        {
            string? oldNamespace = null;
            if (_projects.TryGetValue(facts.Name, out var old))
            {
                oldNamespace = old.Namespace;
                if (_projectByNamespace.GetValueOrDefault(old.Namespace) == old.Name) _projectByNamespace.Remove(old.Namespace);
            }

            _projects[facts.Name] = facts;
            _projectByNamespace[facts.Namespace] = facts.Name;
            RenderProject(facts);
            if (oldNamespace != facts.Namespace)
            {
                if (oldNamespace is not null) RenderWorkloadsIn(oldNamespace);
                RenderWorkloadsIn(facts.Namespace);
            }
        }
    }

    public void RemoveProject(string name)
    {
        lock (_gate)
        {
            if (!_projects.Remove(name, out var old)) return;
            if (_projectByNamespace.GetValueOrDefault(old.Namespace) == name) _projectByNamespace.Remove(old.Namespace);
            Families.Projects.Remove(name);
            RenderWorkloadsIn(old.Namespace);
        }
    }

    public void SetNode(NodeFacts facts)
    {
        lock (_gate)
        {
            _nodes[facts.Name] = facts;
            RenderNode(facts.Name);
        }
    }

    public void RemoveNode(string name)
    {
        lock (_gate)
        {
            _nodes.Remove(name);
            Families.Nodes.Remove(name);
        }
    }

    // ---- control plane ------------------------------------------------------------------------------------------

    public void SetDeployment(string name, int desired, int ready)
    {
        lock (_gate)
        {
            _deployments[name] = (desired, ready);
            RenderComponent(name);
        }
    }

    public void RemoveDeployment(string name)
    {
        lock (_gate)
        {
            _deployments.Remove(name);
            RenderComponent(name);
        }
    }

    public void SetDaemonSet(string name, int desired, int ready) =>
        Families.DaemonSets.Set(name, SeriesRendering.DaemonSet(Families.DaemonSets, name, desired, ready));

    public void RemoveDaemonSet(string name) => Families.DaemonSets.Remove(name);

    public void SetLease(string name, string? holder, DateTimeOffset? renewed) =>
        Families.Leases.Set(name, SeriesRendering.Lease(Families.Leases, name, holder, renewed));

    public void RemoveLease(string name) => Families.Leases.Remove(name);

    /// <summary>
    /// Until <see cref="RenderDeferred"/>, changes only mark what they move: during the first full lists every pod would
    /// otherwise re-render its workload and project once per pod.
    /// </summary>
    public void DeferRendering()
    {
        lock (_gate) _deferred = true;
    }

    /// <summary>Renders everything marked since <see cref="DeferRendering"/>, once, and renders each change again from now on.</summary>
    public void RenderDeferred()
    {
        lock (_gate)
        {
            _deferred = false;
            foreach (var (kind, key) in _dirty.OrderBy(d => d.Kind == 'p' ? 1 : 0))
            {
                switch (kind)
                {
                    case 'w': RenderWorkload(key); break;
                    case 'n': RenderNode(key); break;
                    case 'c': RenderComponent(key); break;
                    case 'p': RenderProjectOf(key); break;
                }
            }

            _dirty.Clear();
        }
    }

    /// <summary>Forgets everything: a replica that stops leading serves no workload series.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            foreach (var facts in _workloads.Values) CountInvalid(facts, -1);
            _workloads.Clear();
            _views.Clear();
            _workloadsByNamespace.Clear();
            _pods.Clear();
            _podsByWorkload.Clear();
            _podsByNode.Clear();
            _podsByComponent.Clear();
            _podGroups.Clear();
            _podGroupByWorkload.Clear();
            _projects.Clear();
            _projectByNamespace.Clear();
            _nodes.Clear();
            _deployments.Clear();
            _dirty.Clear();
            _deferred = false;
            Families.Clear();
        }
    }

    /// <summary>The view a workload's series were last rendered from (for tests and diagnostics).</summary>
    public WorkloadView? ViewOf(WorkloadRef workload)
    {
        lock (_gate) return _views.GetValueOrDefault(Keys.Workload(workload));
    }

    // ---- rendering ------------------------------------------------------------------------------------------------

    private void AfterPodChange(PodFacts? old, PodFacts? now)
    {
        if (old?.Workload is { } ow) RenderWorkloadAndProject(ow);
        if (now?.Workload is { } nw && nw != old?.Workload) RenderWorkloadAndProject(nw);
        if (old?.Node is { Length: > 0 } on) RenderNode(on);
        if (now?.Node is { Length: > 0 } nn && nn != old?.Node) RenderNode(nn);
        if (old?.Component is { } oc) RenderComponent(oc);
        if (now?.Component is { } nc && nc != old?.Component) RenderComponent(nc);
    }

    private void RenderWorkloadAndProject(WorkloadRef workload)
    {
        var key = Keys.Workload(workload);
        if (!_workloads.ContainsKey(key)) return;
        RenderWorkload(key);
        RenderProjectOf(workload.Namespace);
    }

    private void RenderWorkload(string key)
    {
        if (_deferred)
        {
            _dirty.Add(('w', key));
            return;
        }

        if (!_workloads.TryGetValue(key, out var facts)) return;
        var pods = _podsByWorkload.TryGetValue(key, out var podKeys) ? PodTally.Of(podKeys.Select(k => _pods[k]), NodeGpuMemory) : PodTally.Empty;
        var group = _podGroupByWorkload.TryGetValue(key, out var groupKey) ? _podGroups.GetValueOrDefault(groupKey) : null;
        var view = WorkloadView.Of(facts, pods, group, _projectByNamespace.GetValueOrDefault(facts.Ref.Namespace));
        _views[key] = view;
        Families.Workloads.Set(key, SeriesRendering.Workload(Families.Workloads, view));
    }

    private void RenderWorkloadsIn(string ns)
    {
        if (_workloadsByNamespace.TryGetValue(ns, out var keys))
        {
            foreach (var key in keys) RenderWorkload(key);
        }
    }

    private void RenderProjectOf(string ns)
    {
        if (_deferred)
        {
            _dirty.Add(('p', ns));
            return;
        }

        if (_projectByNamespace.TryGetValue(ns, out var name) && _projects.TryGetValue(name, out var project)) RenderProject(project);
    }

    private void RenderProject(ProjectFacts project)
    {
        if (_deferred)
        {
            _dirty.Add(('p', project.Namespace));
            return;
        }

        var allocated = GpuQuantity.Zero;
        var pending = 0;
        if (_workloadsByNamespace.TryGetValue(project.Namespace, out var keys))
        {
            foreach (var key in keys)
            {
                if (!_views.TryGetValue(key, out var view)) continue;
                allocated += view.AllocatedGpus;
                if (view.Status == WorkloadStatus.Pending) pending++;
            }
        }

        Families.Projects.Set(project.Name, SeriesRendering.Project(Families.Projects, project, allocated, pending));
    }

    private void RenderNode(string name)
    {
        if (_deferred)
        {
            _dirty.Add(('n', name));
            return;
        }

        if (!_nodes.TryGetValue(name, out var node)) return;
        var allocated = GpuQuantity.Zero;
        if (_podsByNode.TryGetValue(name, out var keys))
        {
            foreach (var key in keys)
            {
                var pod = _pods[key];
                if (!pod.HoldsGpus) continue;
                allocated += pod.Gpus.MemoryMiB is { } mib && node.GpuMemoryMiB is > 0
                    ? GpuQuantity.FromDecimal(Math.Min(1m, (decimal)mib / node.GpuMemoryMiB.Value))
                    : pod.Gpus.Gpus;
            }
        }

        Families.Nodes.Set(name, SeriesRendering.Node(Families.Nodes, node, allocated));
    }

    private void RenderComponent(string name)
    {
        if (_deferred)
        {
            _dirty.Add(('c', name));
            return;
        }

        var hasDeployment = _deployments.TryGetValue(name, out var replicas);
        var pods = _podsByComponent.TryGetValue(name, out var keys) ? keys.Select(k => _pods[k]).ToList() : [];
        if (!hasDeployment && pods.Count == 0)
        {
            Families.Components.Remove(name);
            return;
        }

        Families.Components.Set(name, SeriesRendering.Component(Families.Components, name, hasDeployment ? replicas : null, pods));
    }

    private long? NodeGpuMemory(string node) => _nodes.GetValueOrDefault(node)?.GpuMemoryMiB;

    private void RemovePodGroupLocked(string key)
    {
        if (!_podGroups.Remove(key, out var old) || old.Workload is not { } w) return;
        var workload = Keys.Workload(w);
        if (_podGroupByWorkload.GetValueOrDefault(workload) == key) _podGroupByWorkload.Remove(workload);
        RenderWorkload(workload);
        RenderProjectOf(w.Namespace);
    }

    private void IndexPod(PodFacts pod)
    {
        if (pod.Workload is { } w) Index(_podsByWorkload, Keys.Workload(w), pod.Key);
        if (pod.Node is { Length: > 0 } node) Index(_podsByNode, node, pod.Key);
        if (pod.Component is { } component) Index(_podsByComponent, component, pod.Key);
    }

    private void UnindexPod(PodFacts pod)
    {
        if (pod.Workload is { } w) Unindex(_podsByWorkload, Keys.Workload(w), pod.Key);
        if (pod.Node is { Length: > 0 } node) Unindex(_podsByNode, node, pod.Key);
        if (pod.Component is { } component) Unindex(_podsByComponent, component, pod.Key);
    }

    private void CountInvalid(WorkloadFacts facts, int delta)
    {
        foreach (var annotation in facts.InvalidAnnotations)
        {
            var count = _invalidAnnotations.GetValueOrDefault(annotation) + delta;
            _invalidAnnotations[annotation] = count;
            InvalidAnnotationsChanged?.Invoke(annotation, count);
        }
    }

    private static void Index(Dictionary<string, HashSet<string>> index, string by, string key)
    {
        if (!index.TryGetValue(by, out var set)) index[by] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(key);
    }

    private static void Unindex(Dictionary<string, HashSet<string>> index, string by, string key)
    {
        if (index.TryGetValue(by, out var set) && set.Remove(key) && set.Count == 0) index.Remove(by);
    }
}
