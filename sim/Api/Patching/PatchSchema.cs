using System.Collections.Concurrent;

namespace Runai.Sim.Api.Patching;

internal enum ListType
{
    /// <summary>Replaced as a whole (no patch strategy; CRD lists; tolerations).</summary>
    Atomic,
    /// <summary>Items are objects merged by a merge key (containers by name).</summary>
    Map,
    /// <summary>Items are primitives merged as a set (finalizers).</summary>
    Set,
}

internal sealed record ListStrategy(ListType Type, string? MergeKey = null)
{
    public static readonly ListStrategy Atomic = new(ListType.Atomic);
    public static readonly ListStrategy Set = new(ListType.Set);
    public static ListStrategy Map(string mergeKey) => new(ListType.Map, mergeKey);
}

/// <summary>
/// What strategic merge patch and server-side apply need to know about a kind's lists: which are merged
/// by which key, which are sets, and (by default) which are replaced. Kubernetes states this in its Go types
/// (patchStrategy/patchMergeKey); here it is one data table keyed by path pattern (see
/// <see cref="FieldPath.Pattern"/>). To teach the simulation another list, add a row below.
/// </summary>
internal sealed class PatchSchema
{
    // Lists of every ObjectMeta, wherever it sits (the object's and a pod template's metadata).
    private static readonly (string Path, ListStrategy Strategy)[] ObjectMetaLists =
    [
        ("finalizers", ListStrategy.Set),
        ("ownerReferences", ListStrategy.Map("uid")),
    ];

    // Lists of a PodSpec, relative to it; container rows are expanded for each container list.
    private static readonly (string Path, ListStrategy Strategy)[] PodSpecLists =
    [
        ("volumes", ListStrategy.Map("name")),
        ("imagePullSecrets", ListStrategy.Map("name")),
        ("hostAliases", ListStrategy.Map("ip")),
        ("topologySpreadConstraints", ListStrategy.Map("topologyKey")),
        ("resourceClaims", ListStrategy.Map("name")),
        ("schedulingGates", ListStrategy.Map("name")),
    ];

    private static readonly string[] ContainerLists = ["containers", "initContainers", "ephemeralContainers"];

    private static readonly (string Path, ListStrategy Strategy)[] ContainerFields =
    [
        ("env", ListStrategy.Map("name")),
        ("ports", ListStrategy.Map("containerPort")),
        ("volumeMounts", ListStrategy.Map("mountPath")),
        ("volumeDevices", ListStrategy.Map("devicePath")),
    ];

    // Where a kind keeps its pod spec, for kinds that have one.
    private static readonly Dictionary<(string Group, string Kind), string> PodSpecLocations = new()
    {
        [("", "Pod")] = "spec",
        [("", "PodTemplate")] = "template.spec",
        [("", "ReplicationController")] = "spec.template.spec",
        [("apps", "Deployment")] = "spec.template.spec",
        [("apps", "DaemonSet")] = "spec.template.spec",
        [("apps", "StatefulSet")] = "spec.template.spec",
        [("apps", "ReplicaSet")] = "spec.template.spec",
        [("batch", "Job")] = "spec.template.spec",
        [("batch", "CronJob")] = "spec.jobTemplate.spec.template.spec",
    };

    // Lists particular to one kind, as absolute patterns.
    private static readonly Dictionary<(string Group, string Kind), (string Path, ListStrategy Strategy)[]> KindLists = new()
    {
        [("", "Pod")] = [("status.podIPs", ListStrategy.Map("ip")), ("status.hostIPs", ListStrategy.Map("ip"))],
        [("", "Service")] = [("spec.ports", ListStrategy.Map("port"))],
        [("", "Node")] = [("status.addresses", ListStrategy.Map("type")), ("spec.podCIDRs", ListStrategy.Set)],
        [("", "ServiceAccount")] = [("secrets", ListStrategy.Map("name"))],
    };

    // Lists every built-in kind shares.
    private static readonly (string Path, ListStrategy Strategy)[] BuiltInLists =
    [
        ("status.conditions", ListStrategy.Map("type")),
    ];

    // Objects server-side apply owns and replaces as a whole (Go types marked +structType=atomic); strategic
    // merge patch still merges them, as kube-apiserver's does.
    private static readonly Dictionary<(string Group, string Kind), string[]> AtomicObjects = new()
    {
        [("apps", "Deployment")] = ["spec.selector"],
        [("apps", "DaemonSet")] = ["spec.selector"],
        [("apps", "StatefulSet")] = ["spec.selector"],
        [("apps", "ReplicaSet")] = ["spec.selector"],
        [("batch", "Job")] = ["spec.selector"],
    };

    // Maps whose members are data rather than schema fields (labels["app"]); their own presence is tracked
    // by ordinary updates, which is why real managedFields show ".": {} under f:labels.
    private static readonly HashSet<string> FreeFormMapNames =
        ["labels", "annotations", "nodeSelector", "limits", "requests", "matchLabels", "data", "stringData", "binaryData"];

    /// <summary>A schema that knows no lists: everything is replaced (JSON merge patch, unknown kinds).</summary>
    public static readonly PatchSchema Empty = new(new Dictionary<string, ListStrategy>());

    private static readonly ConcurrentDictionary<(string Group, string Kind), PatchSchema> Cache = new();

    private readonly IReadOnlyDictionary<string, ListStrategy> _lists;
    private readonly IReadOnlySet<string> _atomicObjects;

    private PatchSchema(IReadOnlyDictionary<string, ListStrategy> lists, IReadOnlySet<string>? atomicObjects = null)
    {
        _lists = lists;
        _atomicObjects = atomicObjects ?? new HashSet<string>();
    }

    /// <summary>
    /// The schema for a kind. Kinds the table does not know (CRDs) still get ObjectMeta's lists, as every
    /// object's metadata is an ObjectMeta; their other lists are replaced.
    /// </summary>
    public static PatchSchema For(string group, string kind) => Cache.GetOrAdd((group, kind), Build);

    public ListStrategy ListAt(FieldPath path) => _lists.GetValueOrDefault(path.Pattern(), ListStrategy.Atomic);

    /// <summary>True for an object that server-side apply owns and replaces whole (a workload's label selector).</summary>
    public bool IsAtomicObject(FieldPath path) => _atomicObjects.Contains(path.Pattern());

    public bool IsFreeFormMap(FieldPath path) =>
        !path.IsRoot && path.Last.Kind == PathElementKind.Field && FreeFormMapNames.Contains(path.Last.Text)
        && (path.Length == 1 || path.Elements[^2].Kind == PathElementKind.Field);

    /// <summary>The table rows as pattern → strategy, for tests and diagnostics.</summary>
    public IReadOnlyDictionary<string, ListStrategy> Lists => _lists;

    private static PatchSchema Build((string Group, string Kind) key)
    {
        var lists = new Dictionary<string, ListStrategy>();
        void Add(string prefix, IEnumerable<(string Path, ListStrategy Strategy)> rows)
        {
            foreach (var (path, strategy) in rows)
                lists[prefix.Length == 0 ? path : $"{prefix}.{path}"] = strategy;
        }

        Add("metadata", ObjectMetaLists);
        if (PodSpecLocations.TryGetValue(key, out var podSpec))
        {
            Add(podSpec, PodSpecLists);
            foreach (var containers in ContainerLists)
            {
                lists[$"{podSpec}.{containers}"] = ListStrategy.Map("name");
                Add($"{podSpec}.{containers}[]", ContainerFields);
            }
            // A template's own metadata (spec.template.metadata) is an ObjectMeta too.
            if (podSpec.EndsWith(".spec", StringComparison.Ordinal))
                Add(podSpec[..^".spec".Length] + ".metadata", ObjectMetaLists);
        }
        if (KindLists.TryGetValue(key, out var kindRows))
            Add("", kindRows);
        if (IsBuiltIn(key))
            Add("", BuiltInLists);
        return new PatchSchema(lists, AtomicObjects.TryGetValue(key, out var atomic) ? atomic.ToHashSet() : null);
    }

    // Built-in groups have no dot (core, apps, batch) or end in .k8s.io; CRD groups are domain names.
    private static bool IsBuiltIn((string Group, string Kind) key) =>
        !key.Group.Contains('.', StringComparison.Ordinal) || key.Group.EndsWith(".k8s.io", StringComparison.Ordinal);
}
