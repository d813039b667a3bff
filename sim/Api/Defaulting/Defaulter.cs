using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Defaulting;

/// <summary>
/// Fills in what a real API server fills in before it stores an object: the registered defaults of built-in
/// kinds (and, for pods, what the default admission plugins add), and the <c>default</c> values of a
/// CRD's openAPIV3Schema. Pure and idempotent: applying it twice gives the same object as applying it once.
/// </summary>
internal static partial class Defaulter
{
    public static void Apply(JsonObject obj, ResourceDefinition def)
    {
        if (!def.BuiltIn)
        {
            if (def.Schema is not null) SchemaDefaults.Apply(obj, def.Schema);
            return;
        }
        switch (def.Group, def.Kind)
        {
            case ("", "Pod"): Pod(obj); break;
            case ("", "Service"): Service(Spec(obj)); break;
            case ("", "Namespace"): Namespace(obj); break;
            case ("", "Secret"): SetIfAbsent(obj, "type", "Opaque"); break;
            case ("", "PersistentVolumeClaim"): SetIfAbsent(Spec(obj), "volumeMode", "Filesystem"); break;
            case ("", "PersistentVolume"):
                SetIfAbsent(Spec(obj), "persistentVolumeReclaimPolicy", "Retain");
                SetIfAbsent(Spec(obj), "volumeMode", "Filesystem");
                break;
            case ("", "ReplicationController"):
                SetIfAbsent(Spec(obj), "replicas", 1);
                Template(Spec(obj));
                break;
            case ("apps", "Deployment"): Deployment(Spec(obj)); break;
            case ("apps", "ReplicaSet"):
                SetIfAbsent(Spec(obj), "replicas", 1);
                Template(Spec(obj));
                break;
            case ("apps", "DaemonSet"): DaemonSet(Spec(obj)); break;
            case ("apps", "StatefulSet"): StatefulSet(Spec(obj)); break;
            case ("batch", "Job"): Job(obj); break;
            case ("batch", "CronJob"): CronJob(Spec(obj)); break;
            case ("scheduling.k8s.io", "PriorityClass"): SetIfAbsent(obj, "preemptionPolicy", "PreemptLowerPriority"); break;
            case ("apiextensions.k8s.io", "CustomResourceDefinition"): Crd(Spec(obj)); break;
            case ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): Webhooks(obj, mutating: true); break;
            case ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): Webhooks(obj, mutating: false); break;
        }
    }

    static void Namespace(JsonObject ns)
    {
        // The real server labels every namespace with its own name, overwriting whatever was sent.
        var name = ns["metadata"]?["name"]?.GetValue<string>();
        if (name is not null) Obj(Obj(ns, "metadata"), "labels")["kubernetes.io/metadata.name"] = name;
        SetIfAbsent(Spec(ns), "finalizers", new JsonArray("kubernetes"));
        SetIfAbsent(Obj(ns, "status"), "phase", "Active");
    }

    static void Service(JsonObject spec)
    {
        SetIfAbsent(spec, "type", "ClusterIP");
        var type = spec["type"]!.GetValue<string>();
        if (type == "ExternalName") return;
        SetIfAbsent(spec, "sessionAffinity", "None");
        SetIfAbsent(spec, "internalTrafficPolicy", "Cluster");
        if (type is "NodePort" or "LoadBalancer") SetIfAbsent(spec, "externalTrafficPolicy", "Cluster");
        if (type == "LoadBalancer") SetIfAbsent(spec, "allocateLoadBalancerNodePorts", true);
        foreach (var port in Objects(spec["ports"]))
        {
            SetIfAbsent(port, "protocol", "TCP");
            var target = port["targetPort"];
            var unset = target is null
                || (target is JsonValue v && ((v.TryGetValue<int>(out var n) && n == 0) || (v.TryGetValue<string>(out var s) && s.Length == 0)));
            if (unset && port["port"] is JsonNode p) port["targetPort"] = p.DeepClone();
        }
    }

    static void Deployment(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        var strategy = Obj(spec, "strategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Obj(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", "25%");
            SetIfAbsent(rolling, "maxSurge", "25%");
        }
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        SetIfAbsent(spec, "progressDeadlineSeconds", 600);
        Template(spec);
    }

    static void DaemonSet(JsonObject spec)
    {
        var strategy = Obj(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
        {
            var rolling = Obj(strategy, "rollingUpdate");
            SetIfAbsent(rolling, "maxUnavailable", 1);
            SetIfAbsent(rolling, "maxSurge", 0);
        }
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        Template(spec);
    }

    static void StatefulSet(JsonObject spec)
    {
        SetIfAbsent(spec, "replicas", 1);
        SetIfAbsent(spec, "podManagementPolicy", "OrderedReady");
        var strategy = Obj(spec, "updateStrategy");
        SetIfAbsent(strategy, "type", "RollingUpdate");
        if (strategy["type"]?.GetValue<string>() == "RollingUpdate")
            SetIfAbsent(Obj(strategy, "rollingUpdate"), "partition", 0);
        SetIfAbsent(spec, "revisionHistoryLimit", 10);
        var retention = Obj(spec, "persistentVolumeClaimRetentionPolicy");
        SetIfAbsent(retention, "whenDeleted", "Retain");
        SetIfAbsent(retention, "whenScaled", "Retain");
        Template(spec);
    }

    static void Job(JsonObject job)
    {
        var spec = Spec(job);
        // A non-parallel job may leave both unset; then both are 1.
        if (spec["completions"] is null && spec["parallelism"] is null) spec["completions"] = 1;
        SetIfAbsent(spec, "parallelism", 1);
        SetIfAbsent(spec, "backoffLimit", spec["backoffLimitPerIndex"] is null ? 6 : int.MaxValue);
        SetIfAbsent(spec, "completionMode", "NonIndexed");
        SetIfAbsent(spec, "suspend", false);
        SetIfAbsent(spec, "podReplacementPolicy", spec["podFailurePolicy"] is null ? "TerminatingOrFailed" : "Failed");
        // A job without labels of its own takes its pod template's.
        if (spec["template"]?["metadata"]?["labels"] is JsonObject templateLabels && templateLabels.Count > 0
            && (job["metadata"]?["labels"] as JsonObject ?? []).Count == 0)
            Obj(job, "metadata")["labels"] = templateLabels.DeepClone();
        Template(spec);
    }

    static void CronJob(JsonObject spec)
    {
        SetIfAbsent(spec, "concurrencyPolicy", "Allow");
        SetIfAbsent(spec, "suspend", false);
        SetIfAbsent(spec, "successfulJobsHistoryLimit", 3);
        SetIfAbsent(spec, "failedJobsHistoryLimit", 1);
        if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec) Template(jobSpec);
    }

    static void Crd(JsonObject spec)
    {
        var names = Obj(spec, "names");
        if (names["kind"]?.GetValue<string>() is { Length: > 0 } kind)
        {
            SetIfAbsent(names, "singular", kind.ToLowerInvariant());
            SetIfAbsent(names, "listKind", kind + "List");
        }
        SetIfAbsent(Obj(spec, "conversion"), "strategy", "None");
    }

    static void Webhooks(JsonObject config, bool mutating)
    {
        foreach (var hook in Objects(config["webhooks"]))
        {
            SetIfAbsent(hook, "failurePolicy", "Fail");
            SetIfAbsent(hook, "matchPolicy", "Equivalent");
            SetIfAbsent(hook, "namespaceSelector", new JsonObject());
            SetIfAbsent(hook, "objectSelector", new JsonObject());
            SetIfAbsent(hook, "timeoutSeconds", 10);
            if (mutating) SetIfAbsent(hook, "reinvocationPolicy", "Never");
            foreach (var rule in Objects(hook["rules"])) SetIfAbsent(rule, "scope", "*");
            if (hook["clientConfig"]?["service"] is JsonObject service) SetIfAbsent(service, "port", 443);
        }
    }

    // ---- helpers ----

    static JsonObject Spec(JsonObject obj) => Obj(obj, "spec");

    /// <summary>The object under key, created empty when absent (or null).</summary>
    internal static JsonObject Obj(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing) return existing;
        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    internal static void SetIfAbsent(JsonObject o, string key, JsonNode value)
    {
        if (o[key] is null) o[key] = value;
    }

    internal static IEnumerable<JsonObject> Objects(JsonNode? array) =>
        (array as JsonArray ?? []).OfType<JsonObject>();
}
