using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runai.Sim.Api;

/// <summary>
/// The resources a Kubernetes 1.32 API server serves out of the box (the subset this simulation needs),
/// with the names, scopes, short names, categories and verbs its discovery documents carry,
/// and the conversion of a CustomResourceDefinition into a served resource.
/// </summary>
internal static partial class BuiltInResources
{
    static readonly IReadOnlyList<string> CreateOnly = ["create"];
    // Namespaces cannot be deleted as a collection on a real server.
    static readonly IReadOnlyList<string> NoCollectionDelete = ["create", "delete", "get", "list", "patch", "update", "watch"];
    static readonly IReadOnlyList<string> InAll = ["all"];
    static readonly IReadOnlyList<string> ApiExtensions = ["api-extensions"];

    /// <summary>Every built-in resource, one entry per group, version and plural.</summary>
    public static IReadOnlyList<ResourceDefinition> All { get; } = Build();

    static readonly Dictionary<(string Group, string Plural), ResourceDefinition> ByGroupPlural =
        All.ToDictionary(d => (d.Group, d.Plural));

    /// <summary>The built-in resource with this group and plural, or null.</summary>
    public static ResourceDefinition? Find(string group, string plural) =>
        ByGroupPlural.GetValueOrDefault((group, plural));

    /// <summary>
    /// Hook for giving a built-in kind a validation schema. None has one yet: built-in kinds accept
    /// any fields, which is what unmodified clients need from the simulation.
    /// </summary>
    static JsonObject? SchemaFor(string group, string kind) => null;

    static List<ResourceDefinition> Build()
    {
        var list = new List<ResourceDefinition>();
        void Add(string group, string version, string kind, string plural, bool namespaced,
            string[]? shortNames = null, IReadOnlyList<string>? categories = null,
            IReadOnlyList<string>? verbs = null, string[]? subresources = null, PrinterColumn[]? columns = null) =>
            list.Add(new ResourceDefinition
            {
                Group = group,
                Version = version,
                Kind = kind,
                Plural = plural,
                Namespaced = namespaced,
                ShortNames = shortNames ?? [],
                Categories = categories ?? [],
                Verbs = verbs ?? ResourceDefinition.DefaultVerbs,
                Subresources = subresources ?? [],
                Schema = SchemaFor(group, kind),
                PrinterColumns = columns ?? [],
                BuiltIn = true,
            });

        // core/v1
        Add("", "v1", "Namespace", "namespaces", false, ["ns"], verbs: NoCollectionDelete, subresources: ["status", "finalize"],
            columns: [new("Status", "string", ".status.phase")]);
        Add("", "v1", "Node", "nodes", false, ["no"], subresources: ["status", "proxy"]);
        Add("", "v1", "Pod", "pods", true, ["po"], InAll, subresources: ["status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy", "ephemeralcontainers"]);
        Add("", "v1", "Service", "services", true, ["svc"], InAll, subresources: ["status", "proxy"],
            columns: [new("Type", "string", ".spec.type"), new("Cluster-IP", "string", ".spec.clusterIP")]);
        Add("", "v1", "Endpoints", "endpoints", true, ["ep"]);
        Add("", "v1", "ConfigMap", "configmaps", true, ["cm"]);
        Add("", "v1", "Secret", "secrets", true, columns: [new("Type", "string", ".type")]);
        Add("", "v1", "ServiceAccount", "serviceaccounts", true, ["sa"], subresources: ["token"]);
        Add("", "v1", "Event", "events", true, ["ev"]);
        Add("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, ["pvc"], subresources: ["status"],
            columns: [new("Status", "string", ".status.phase"), new("Volume", "string", ".spec.volumeName")]);
        Add("", "v1", "PersistentVolume", "persistentvolumes", false, ["pv"], subresources: ["status"],
            columns: [new("Status", "string", ".status.phase")]);
        Add("", "v1", "ResourceQuota", "resourcequotas", true, ["quota"], subresources: ["status"]);
        Add("", "v1", "LimitRange", "limitranges", true, ["limits"]);
        Add("", "v1", "ReplicationController", "replicationcontrollers", true, ["rc"], InAll, subresources: ["status", "scale"]);

        // apps/v1
        Add("apps", "v1", "Deployment", "deployments", true, ["deploy"], InAll, subresources: ["status", "scale"]);
        Add("apps", "v1", "ReplicaSet", "replicasets", true, ["rs"], InAll, subresources: ["status", "scale"]);
        Add("apps", "v1", "DaemonSet", "daemonsets", true, ["ds"], InAll, subresources: ["status"],
            columns:
            [
                new("Desired", "integer", ".status.desiredNumberScheduled"),
                new("Current", "integer", ".status.currentNumberScheduled"),
                new("Ready", "integer", ".status.numberReady"),
                new("Up-to-date", "integer", ".status.updatedNumberScheduled"),
                new("Available", "integer", ".status.numberAvailable"),
            ]);
        Add("apps", "v1", "StatefulSet", "statefulsets", true, ["sts"], InAll, subresources: ["status", "scale"]);
        Add("apps", "v1", "ControllerRevision", "controllerrevisions", true,
            columns: [new("Revision", "integer", ".revision")]);

        // batch/v1
        Add("batch", "v1", "Job", "jobs", true, categories: InAll, subresources: ["status"]);
        Add("batch", "v1", "CronJob", "cronjobs", true, ["cj"], InAll, subresources: ["status"],
            columns: [new("Schedule", "string", ".spec.schedule"), new("Suspend", "boolean", ".spec.suspend")]);

        Add("coordination.k8s.io", "v1", "Lease", "leases", true, columns: [new("Holder", "string", ".spec.holderIdentity")]);
        Add("events.k8s.io", "v1", "Event", "events", true, ["ev"]);

        // rbac.authorization.k8s.io/v1
        Add("rbac.authorization.k8s.io", "v1", "Role", "roles", true);
        Add("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true,
            columns: [new("Role", "string", ".roleRef.name")]);
        Add("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false);
        Add("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false,
            columns: [new("Role", "string", ".roleRef.name")]);

        Add("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, categories: ApiExtensions);
        Add("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, categories: ApiExtensions);
        Add("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, ["crd", "crds"], ApiExtensions, subresources: ["status"]);

        // Reviews are answered, never stored: create is their only verb.
        Add("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", false, verbs: CreateOnly);
        Add("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, verbs: CreateOnly);
        Add("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", true, verbs: CreateOnly);
        Add("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false, verbs: CreateOnly);
        Add("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false, verbs: CreateOnly);

        Add("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, ["pdb"], subresources: ["status"]);
        Add("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, ["pc"],
            columns: [new("Value", "integer", ".value"), new("Global-Default", "boolean", ".globalDefault")]);
        Add("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, ["sc"],
            columns: [new("Provisioner", "string", ".provisioner")]);
        Add("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true);
        Add("networking.k8s.io", "v1", "Ingress", "ingresses", true, ["ing"], subresources: ["status"]);
        Add("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, ["netpol"]);
        return list;
    }

    // ---- CustomResourceDefinitions ----

    /// <summary>The names of the versions a CRD serves, in the order it lists them.</summary>
    public static IReadOnlyList<string> ServedVersions(JsonObject crd) =>
        Versions(crd).Where(v => v["served"]?.GetValue<bool>() ?? false)
            .Select(v => Str(v, "name")).Where(n => n.Length > 0).ToList();

    /// <summary>
    /// The resource a CustomResourceDefinition (apiextensions.k8s.io/v1) defines, as served at one version.
    /// Throws 422 Invalid when the CRD is invalid and 400 BadRequest when it has no such version.
    /// </summary>
    public static ResourceDefinition FromCrd(JsonObject crd, string version)
    {
        var problems = CrdProblems(crd);
        var crdName = Str(crd["metadata"], "name");
        if (problems.Count > 0)
            throw ApiException.Invalid(InvalidMessage(crdName, problems));
        var spec = crd["spec"]!.AsObject();
        var names = spec["names"]!.AsObject();
        var v = Versions(crd).FirstOrDefault(x => Str(x, "name") == version)
            ?? throw ApiException.BadRequest($"CustomResourceDefinition \"{crdName}\" has no version \"{version}\"");

        var subresources = new List<string>();
        if (v["subresources"] is JsonObject sub)
        {
            if (sub.ContainsKey("status")) subresources.Add("status");
            if (sub.ContainsKey("scale")) subresources.Add("scale");
        }
        var columns = (v["additionalPrinterColumns"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => new PrinterColumn(
                Str(c, "name"), Str(c, "type"), Str(c, "jsonPath"),
                c["format"]?.GetValue<string>(), c["description"]?.GetValue<string>(),
                c["priority"]?.GetValue<int>() ?? 0))
            .ToList();
        var kind = Str(names, "kind");
        return new ResourceDefinition
        {
            Group = Str(spec, "group"),
            Version = version,
            Kind = kind,
            Plural = Str(names, "plural"),
            Namespaced = Str(spec, "scope") == "Namespaced",
            ShortNames = Strings(names["shortNames"]),
            Categories = Strings(names["categories"]),
            Subresources = subresources,
            Schema = v["schema"]?["openAPIV3Schema"]?.DeepClone().AsObject(),
            PrinterColumns = columns,
            BuiltIn = false,
        };
    }

    /// <summary>
    /// Where the scale subresource of a CRD version reads and writes replicas, or null when it has none.
    /// </summary>
    public static CrdScalePaths? ScalePathsOf(JsonObject crd, string version)
    {
        var v = Versions(crd).FirstOrDefault(x => Str(x, "name") == version);
        if (v?["subresources"]?["scale"] is not JsonObject scale) return null;
        return new CrdScalePaths(Str(scale, "specReplicasPath"), Str(scale, "statusReplicasPath"),
            scale["labelSelectorPath"]?.GetValue<string>());
    }

    /// <summary>
    /// What makes a CRD invalid, each as "field: problem" in the words a real API server uses
    /// (it joins them into "CustomResourceDefinition.apiextensions.k8s.io \"NAME\" is invalid: [...]").
    /// Empty when the CRD is acceptable.
    /// </summary>
    public static IReadOnlyList<string> CrdProblems(JsonObject crd)
    {
        var problems = new List<string>();
        var name = Str(crd["metadata"], "name");
        var spec = crd["spec"] as JsonObject;
        var group = Str(spec, "group");
        var names = spec?["names"] as JsonObject;
        var plural = Str(names, "plural");

        if (name.Length == 0)
            problems.Add("metadata.name: Required value: name or generateName is required");
        else if (name != plural + "." + group)
            problems.Add($"metadata.name: Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group");

        if (group.Length == 0)
            problems.Add("spec.group: Required value");
        else if (!group.Contains('.'))
            problems.Add($"spec.group: Invalid value: \"{group}\": should be a domain with at least one dot");

        if (plural.Length == 0)
            problems.Add("spec.names.plural: Required value");
        else if (!Dns1123Label().IsMatch(plural))
            problems.Add($"spec.names.plural: Invalid value: \"{plural}\": {Dns1123LabelMessage}");
        var singular = Str(names, "singular");
        if (singular.Length > 0 && !Dns1123Label().IsMatch(singular))
            problems.Add($"spec.names.singular: Invalid value: \"{singular}\": {Dns1123LabelMessage}");
        if (Str(names, "kind").Length == 0)
            problems.Add("spec.names.kind: Required value");

        var scope = Str(spec, "scope");
        if (scope.Length == 0)
            problems.Add("spec.scope: Required value");
        else if (scope is not ("Cluster" or "Namespaced"))
            problems.Add($"spec.scope: Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\"");

        var versions = Versions(crd);
        var seen = new HashSet<string>();
        var unique = true;
        for (var i = 0; i < versions.Count; i++)
        {
            var vname = Str(versions[i], "name");
            if (vname.Length == 0)
                problems.Add($"spec.versions[{i}].name: Required value");
            else if (!seen.Add(vname))
                unique = false;
            if (versions[i]["schema"]?["openAPIV3Schema"] is not JsonObject)
                problems.Add($"spec.versions[{i}].schema.openAPIV3Schema: Required value: schemas are required");
        }
        // The real message prints the Go value of spec.versions; a short stand-in keeps it readable.
        var versionsValue = versions.Count == 0
            ? "[]apiextensions.CustomResourceDefinitionVersion(nil)"
            : "[]apiextensions.CustomResourceDefinitionVersion{...}";
        if (!unique)
            problems.Add($"spec.versions: Invalid value: {versionsValue}: must contain unique version names");
        if (versions.Count(v => v["storage"]?.GetValue<bool>() ?? false) != 1)
            problems.Add($"spec.versions: Invalid value: {versionsValue}: must have exactly one version marked as storage version");
        return problems;
    }

    /// <summary>The message of the 422 a real server answers for an invalid CRD.</summary>
    public static string InvalidMessage(string crdName, IReadOnlyList<string> problems) =>
        $"CustomResourceDefinition.apiextensions.k8s.io \"{crdName}\" is invalid: " +
        (problems.Count == 1 ? problems[0] : "[" + string.Join(", ", problems) + "]");

    const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " +
        "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    static List<JsonObject> Versions(JsonObject crd) =>
        (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    static string Str(JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    static IReadOnlyList<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(n => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null)
            .OfType<string>().ToList();
}

/// <summary>Where a custom resource's scale subresource finds its replica counts (JSON paths such as ".spec.replicas").</summary>
internal sealed record CrdScalePaths(string SpecReplicasPath, string StatusReplicasPath, string? LabelSelectorPath);
