using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Defaulting;

internal static partial class Defaulter
{
    const int DefaultSecretMode = 420; // 0644

    // Priorities of the two classes every cluster has; other classes are resolved by the caller if at all.
    static readonly Dictionary<string, int> SystemPriorities = new()
    {
        ["system-cluster-critical"] = 2_000_000_000,
        ["system-node-critical"] = 2_000_001_000,
    };

    static readonly string[] TaintsTolerated = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

    /// <summary>
    /// A pod gets the pod-spec defaults every template gets, plus what only pods get: requests equal to limits
    /// where only limits are set (how nvidia.com/gpu requests appear), service links, and what the
    /// ServiceAccount, Priority and DefaultTolerationSeconds admission plugins add.
    /// </summary>
    static void Pod(JsonObject pod)
    {
        var spec = Spec(pod);
        PodSpec(spec);
        SetIfAbsent(spec, "enableServiceLinks", true);

        foreach (var c in Objects(spec["containers"]).Concat(Objects(spec["initContainers"])))
            RequestsFromLimits(c);

        if (spec["serviceAccountName"] is null && spec["serviceAccount"] is null)
            spec["serviceAccountName"] = "default";
        MirrorServiceAccount(spec);

        if (spec["priority"] is null)
        {
            var className = spec["priorityClassName"]?.GetValue<string>() ?? "";
            if (className.Length == 0) spec["priority"] = 0;
            else if (SystemPriorities.TryGetValue(className, out var value)) spec["priority"] = value;
        }
        SetIfAbsent(spec, "preemptionPolicy", "PreemptLowerPriority");
        DefaultTolerations(spec);

        var status = Obj(pod, "status");
        SetIfAbsent(status, "phase", "Pending");
        SetIfAbsent(status, "qosClass", QosClass(spec));
    }

    static void RequestsFromLimits(JsonObject container)
    {
        if (container["resources"]?["limits"] is not JsonObject limits || limits.Count == 0) return;
        var requests = Obj(container["resources"]!.AsObject(), "requests");
        foreach (var (name, quantity) in limits)
            if (requests[name] is null && quantity is not null)
                requests[name] = quantity.DeepClone();
    }

    static void DefaultTolerations(JsonObject spec)
    {
        var tolerations = spec["tolerations"] as JsonArray;
        foreach (var taint in TaintsTolerated)
        {
            var tolerated = Objects(tolerations).Any(t =>
            {
                var key = t["key"]?.GetValue<string>() ?? "";
                var effect = t["effect"]?.GetValue<string>() ?? "";
                var op = t["operator"]?.GetValue<string>() ?? "Equal";
                return (key == taint || (key.Length == 0 && op == "Exists")) && (effect.Length == 0 || effect == "NoExecute");
            });
            if (tolerated) continue;
            if (tolerations is null) spec["tolerations"] = tolerations = [];
            tolerations.Add(new JsonObject
            {
                ["key"] = taint,
                ["operator"] = "Exists",
                ["effect"] = "NoExecute",
                ["tolerationSeconds"] = 300,
            });
        }
    }

    /// <summary>The pod template of a workload (spec.template) gets the pod-spec defaults.</summary>
    static void Template(JsonObject workloadSpec)
    {
        if (workloadSpec["template"] is not JsonObject template) return;
        PodSpec(Obj(template, "spec"));
        MirrorServiceAccount(template["spec"]!.AsObject());
    }

    static void PodSpec(JsonObject spec)
    {
        SetIfAbsent(spec, "restartPolicy", "Always");
        SetIfAbsent(spec, "dnsPolicy", "ClusterFirst");
        SetIfAbsent(spec, "terminationGracePeriodSeconds", 30);
        SetIfAbsent(spec, "schedulerName", "default-scheduler");
        SetIfAbsent(spec, "securityContext", new JsonObject());
        var hostNetwork = spec["hostNetwork"] is JsonValue h && h.TryGetValue<bool>(out var b) && b;
        foreach (var c in Objects(spec["containers"]).Concat(Objects(spec["initContainers"])).Concat(Objects(spec["ephemeralContainers"])))
            Container(c, hostNetwork);
        foreach (var v in Objects(spec["volumes"]))
            foreach (var source in (string[])["secret", "configMap", "downwardAPI", "projected"])
                if (v[source] is JsonObject s) SetIfAbsent(s, "defaultMode", DefaultSecretMode);
    }

    /// <summary>serviceAccount is the deprecated twin of serviceAccountName; the server keeps them equal.</summary>
    static void MirrorServiceAccount(JsonObject spec)
    {
        if (spec["serviceAccountName"] is null && spec["serviceAccount"] is JsonNode old) spec["serviceAccountName"] = old.DeepClone();
        if (spec["serviceAccount"] is null && spec["serviceAccountName"] is JsonNode name) spec["serviceAccount"] = name.DeepClone();
    }

    static void Container(JsonObject c, bool hostNetwork)
    {
        if (c["image"]?.GetValue<string>() is { } image)
            SetIfAbsent(c, "imagePullPolicy", PullPolicyFor(image));
        SetIfAbsent(c, "terminationMessagePath", "/dev/termination-log");
        SetIfAbsent(c, "terminationMessagePolicy", "File");
        SetIfAbsent(c, "resources", new JsonObject());
        foreach (var port in Objects(c["ports"]))
        {
            SetIfAbsent(port, "protocol", "TCP");
            if (hostNetwork && port["containerPort"] is JsonNode cp) SetIfAbsent(port, "hostPort", cp.DeepClone());
        }
        foreach (var probe in (string[])["livenessProbe", "readinessProbe", "startupProbe"])
            if (c[probe] is JsonObject p) Probe(p);
        foreach (var env in Objects(c["env"]))
            if (env["valueFrom"]?["fieldRef"] is JsonObject fieldRef) SetIfAbsent(fieldRef, "apiVersion", "v1");
    }

    static void Probe(JsonObject probe)
    {
        SetIfAbsent(probe, "timeoutSeconds", 1);
        SetIfAbsent(probe, "periodSeconds", 10);
        SetIfAbsent(probe, "successThreshold", 1);
        SetIfAbsent(probe, "failureThreshold", 3);
        if (probe["httpGet"] is JsonObject http)
        {
            SetIfAbsent(http, "path", "/");
            SetIfAbsent(http, "scheme", "HTTP");
        }
    }

    /// <summary>Always for an image by ":latest" or by no tag at all; IfNotPresent for a tag or a digest.</summary>
    internal static string PullPolicyFor(string image)
    {
        if (image.Contains('@')) return "IfNotPresent";
        var lastSegment = image[(image.LastIndexOf('/') + 1)..];
        var colon = lastSegment.LastIndexOf(':');
        if (colon < 0) return "Always";
        return lastSegment[(colon + 1)..] == "latest" ? "Always" : "IfNotPresent";
    }

    /// <summary>
    /// BestEffort without any cpu/memory request or limit; Guaranteed when every container limits cpu and
    /// memory and requests exactly that; Burstable otherwise.
    /// </summary>
    internal static string QosClass(JsonObject spec)
    {
        var containers = Objects(spec["containers"]).Concat(Objects(spec["initContainers"])).ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var requests = c["resources"]?["requests"] as JsonObject;
            var limits = c["resources"]?["limits"] as JsonObject;
            foreach (var r in (string[])["cpu", "memory"])
            {
                var request = requests?[r];
                var limit = limits?[r];
                if (request is not null || limit is not null) any = true;
                if (limit is null || (request is not null && !Quantity.Equal(request, limit))) guaranteed = false;
            }
        }
        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }
}
