using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>
/// Columns of built-in kinds as the real server prints them, keyed by (group, kind). Adding a kind is adding one
/// entry: its columns (priority 1 for the <c>-o wide</c> ones) and a function giving the cells in the same order.
/// </summary>
internal static class BuiltInPrinters
{
    private static readonly TableColumn Containers = new("Containers", "string", "Names of each container in the template.", 1);
    private static readonly TableColumn Images = new("Images", "string", "Images referenced by each container in the template.", 1);
    private static readonly TableColumn Selector = new("Selector", "string", "Label selector for pods. Existing pods selected by this selector are the ones affected.", 1);

    private static readonly Dictionary<(string Group, string Kind), KindPrinter> Printers = new()
    {
        [("", "Pod")] = PodPrinter.Printer,
        [("", "Node")] = new(
        [
            CommonColumns.Name,
            new("Status", "string", "The status of the node"),
            new("Roles", "string", "The roles of the node"),
            CommonColumns.Age,
            new("Version", "string", "Kubelet Version reported by the node."),
            new("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            new("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            new("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
            new("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
            new("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
        ], Node),
        [("", "Namespace")] = new(
        [
            CommonColumns.Name,
            new("Status", "string", "The status of the namespace"),
            CommonColumns.Age,
        ], (o, now) => Row(Name(o), o.Str("status", "phase"), Age(o, now))),
        [("", "Service")] = new(
        [
            CommonColumns.Name,
            new("Type", "string", "The type of the service."),
            new("Cluster-IP", "string", "The IP address assigned to the service by the cluster."),
            new("External-IP", "string", "The external IP addresses of the service."),
            new("Port(s)", "string", "The ports exposed by the service."),
            CommonColumns.Age,
            new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ], Service),
        [("", "ConfigMap")] = new(
        [
            CommonColumns.Name,
            new("Data", "string", "Data contains the configuration data."),
            CommonColumns.Age,
        ], (o, now) => Row(Name(o), (long)(o.Count("data") + o.Count("binaryData")), Age(o, now))),
        [("", "Secret")] = new(
        [
            CommonColumns.Name,
            new("Type", "string", "Used to facilitate programmatic handling of secret data."),
            new("Data", "string", "Data contains the secret data."),
            CommonColumns.Age,
        ], (o, now) => Row(Name(o), o.Str("type"), (long)o.Count("data"), Age(o, now))),
        [("", "ServiceAccount")] = new(
        [
            CommonColumns.Name,
            new("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
            CommonColumns.Age,
        ], (o, now) => Row(Name(o), (long)o.Count("secrets"), Age(o, now))),
        [("", "Event")] = EventPrinter(core: true),
        [("events.k8s.io", "Event")] = EventPrinter(core: false),
        [("apps", "Deployment")] = new(
        [
            CommonColumns.Name,
            new("Ready", "string", "Number of the pod with ready state"),
            new("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            new("Available", "string", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            CommonColumns.Age,
            Containers, Images, Selector,
        ], (o, now) => Row(Name(o), Inv($"{o.Int("status", "readyReplicas")}/{Replicas(o)}"),
            o.Int("status", "updatedReplicas"), o.Int("status", "availableReplicas"), Age(o, now),
            ContainerNames(o), ContainerImages(o), LabelSelectorText(o.At("spec", "selector")))),
        [("apps", "ReplicaSet")] = new(
        [
            CommonColumns.Name,
            new("Desired", "integer", "Replicas is the number of desired replicas."),
            new("Current", "integer", "Replicas is the most recently observed number of replicas."),
            new("Ready", "integer", "The number of ready replicas for this replica set."),
            CommonColumns.Age,
            Containers, Images, Selector,
        ], (o, now) => Row(Name(o), Replicas(o), o.Int("status", "replicas"), o.Int("status", "readyReplicas"), Age(o, now),
            ContainerNames(o), ContainerImages(o), LabelSelectorText(o.At("spec", "selector")))),
        [("apps", "StatefulSet")] = new(
        [
            CommonColumns.Name,
            new("Ready", "string", "Number of the pod with ready state"),
            CommonColumns.Age,
            Containers, Images,
        ], (o, now) => Row(Name(o), Inv($"{o.Int("status", "readyReplicas")}/{Replicas(o)}"), Age(o, now),
            ContainerNames(o), ContainerImages(o))),
        [("apps", "DaemonSet")] = new(
        [
            CommonColumns.Name,
            new("Desired", "integer", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod)."),
            new("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            new("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
            new("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
            new("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            new("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
            CommonColumns.Age,
            Containers, Images, Selector,
        ], (o, now) => Row(Name(o), o.Int("status", "desiredNumberScheduled"), o.Int("status", "currentNumberScheduled"),
            o.Int("status", "numberReady"), o.Int("status", "updatedNumberScheduled"), o.Int("status", "numberAvailable"),
            LabelsText(o.At("spec", "template", "spec", "nodeSelector")), Age(o, now),
            ContainerNames(o), ContainerImages(o), LabelSelectorText(o.At("spec", "selector")))),
        [("batch", "Job")] = new(
        [
            CommonColumns.Name,
            new("Status", "string", "Status of the job."),
            new("Completions", "string", "The number of pods which reached phase Succeeded."),
            new("Duration", "string", "Time required to complete the job."),
            CommonColumns.Age,
            Containers, Images, Selector,
        ], Job),
        [("coordination.k8s.io", "Lease")] = new(
        [
            CommonColumns.Name,
            new("Holder", "string", "holderIdentity contains the identity of the holder of a current lease."),
            CommonColumns.Age,
        ], (o, now) => Row(Name(o), o.At("spec", "holderIdentity") is null ? "<none>" : o.Str("spec", "holderIdentity"), Age(o, now))),
        [("rbac.authorization.k8s.io", "Role")] = CreatedAtPrinter(),
        [("rbac.authorization.k8s.io", "ClusterRole")] = CreatedAtPrinter(),
        [("rbac.authorization.k8s.io", "RoleBinding")] = BindingPrinter(),
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = BindingPrinter(),
        [("apiextensions.k8s.io", "CustomResourceDefinition")] = new(
            [CommonColumns.Name, CommonColumns.CreatedAt],
            (o, now) => Row(Name(o), CreatedAt(o))),
        [("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = WebhookPrinter(),
        [("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = WebhookPrinter(),
    };

    public static bool TryGet(string group, string kind, out KindPrinter printer) =>
        Printers.TryGetValue((group, kind), out printer!);

    private static PrintedRow Row(params object?[] cells) =>
        new(cells.Select(c => c switch
        {
            null => null,
            string s => JsonValue.Create(s),
            long l => JsonValue.Create(l),
            int i => JsonValue.Create((long)i),
            JsonNode n => n,
            _ => throw new ArgumentException($"cell of type {c.GetType().Name} is not printable"),
        }).ToList());

    private static string Name(JsonObject o) => o.Str("metadata", "name");

    private static string Age(JsonObject o, DateTimeOffset now) => HumanDuration.Since(o.Str("metadata", "creationTimestamp"), now);

    private static string CreatedAt(JsonObject o) =>
        HumanDuration.TryParseTime(o.Str("metadata", "creationTimestamp"), out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "0001-01-01T00:00:00Z";

    /// <summary>spec.replicas as the server defaults it: absent means 1.</summary>
    private static long Replicas(JsonObject o) => o.At("spec", "replicas") is null ? 1 : o.Int("spec", "replicas");

    private static string ContainerNames(JsonObject o) =>
        string.Join(",", o.Objects("spec", "template", "spec", "containers").Select(c => c.Str("name")));

    private static string ContainerImages(JsonObject o) =>
        string.Join(",", o.Objects("spec", "template", "spec", "containers").Select(c => c.Str("image")));

    /// <summary>A map of labels as <c>k=v,k2=v2</c> sorted by key, or <c>&lt;none&gt;</c>.</summary>
    internal static string LabelsText(JsonNode? labels) =>
        string.Join(",", labels.StringMap().OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")).OrNone();

    /// <summary>A LabelSelector in selector syntax (<c>app=x,tier in (a,b),!legacy</c>) with requirements sorted by key.</summary>
    internal static string LabelSelectorText(JsonNode? selector)
    {
        var requirements = new List<(string Key, string Text)>();
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            requirements.Add((key, $"{key}={value}"));
        }

        foreach (var e in selector.Objects("matchExpressions"))
        {
            var key = e.Str("key");
            var values = e.At("values") is JsonArray a
                ? a.Select(v => v.Str()).Order(StringComparer.Ordinal).ToList()
                : [];
            requirements.Add((key, e.Str("operator") switch
            {
                "In" => $"{key} in ({string.Join(",", values)})",
                "NotIn" => $"{key} notin ({string.Join(",", values)})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                var op => $"{key} {op} ({string.Join(",", values)})",
            }));
        }

        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    private static PrintedRow Node(JsonObject o, DateTimeOffset now)
    {
        var statuses = new List<string>();
        if (o.Objects("status", "conditions").FirstOrDefault(c => c.Str("type") == "Ready") is { } ready)
        {
            statuses.Add(ready.Str("status") == "True" ? "Ready" : "NotReady");
        }
        else
        {
            statuses.Add("Unknown");
        }

        if (o.Bool("spec", "unschedulable"))
        {
            statuses.Add("SchedulingDisabled");
        }

        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in o.StringMap("metadata", "labels"))
        {
            const string RolePrefix = "node-role.kubernetes.io/";
            if (key.StartsWith(RolePrefix, StringComparison.Ordinal) && key.Length > RolePrefix.Length)
            {
                roles.Add(key[RolePrefix.Length..]);
            }
            else if (key == "kubernetes.io/role" && value.Length > 0)
            {
                roles.Add(value);
            }
        }

        string Address(string type) =>
            o.Objects("status", "addresses").FirstOrDefault(a => a.Str("type") == type).Str("address").OrNone();
        string Unknown(string s) => s.Length == 0 ? "<unknown>" : s;
        return Row(Name(o), string.Join(",", statuses), string.Join(",", roles).OrNone(), Age(o, now),
            o.Str("status", "nodeInfo", "kubeletVersion"), Address("InternalIP"), Address("ExternalIP"),
            Unknown(o.Str("status", "nodeInfo", "osImage")), Unknown(o.Str("status", "nodeInfo", "kernelVersion")),
            Unknown(o.Str("status", "nodeInfo", "containerRuntimeVersion")));
    }

    private static PrintedRow Service(JsonObject o, DateTimeOffset now)
    {
        var type = o.Str("spec", "type");
        var externalIps = o.At("spec", "externalIPs") is JsonArray a ? a.Select(v => v.Str()).ToList() : [];
        var ingress = o.Objects("status", "loadBalancer", "ingress")
            .Select(i => i.Str("ip").Length > 0 ? i.Str("ip") : i.Str("hostname"))
            .Where(s => s.Length > 0).ToList();
        var external = type switch
        {
            "ClusterIP" or "NodePort" => string.Join(",", externalIps).OrNone(),
            "LoadBalancer" => ingress.Count + externalIps.Count > 0 ? string.Join(",", ingress.Concat(externalIps)) : "<pending>",
            "ExternalName" => o.Str("spec", "externalName"),
            _ => "<unknown>",
        };
        var ports = string.Join(",", o.Objects("spec", "ports").Select(p =>
        {
            var protocol = p.Str("protocol").Length > 0 ? p.Str("protocol") : "TCP";
            return p.Int("nodePort") != 0
                ? Inv($"{p.Int("port")}:{p.Int("nodePort")}/{protocol}")
                : Inv($"{p.Int("port")}/{protocol}");
        }));
        return Row(Name(o), type, o.Str("spec", "clusterIP").OrNone(), external, ports.OrNone(), Age(o, now),
            LabelsText(o.At("spec", "selector")));
    }

    private static PrintedRow Job(JsonObject o, DateTimeOffset now)
    {
        var succeeded = o.Int("status", "succeeded");
        string completions;
        if (o.At("spec", "completions") is not null)
        {
            completions = Inv($"{succeeded}/{o.Int("spec", "completions")}");
        }
        else
        {
            var parallelism = o.Int("spec", "parallelism");
            completions = parallelism > 1 ? Inv($"{succeeded}/1 of {parallelism}") : Inv($"{succeeded}/1");
        }

        var duration = "";
        if (HumanDuration.TryParseTime(o.Str("status", "startTime"), out var start))
        {
            duration = HumanDuration.TryParseTime(o.Str("status", "completionTime"), out var end)
                ? HumanDuration.Format(end - start)
                : HumanDuration.Format(now - start);
        }

        bool Has(string type) => o.Objects("status", "conditions").Any(c => c.Str("type") == type && c.Str("status") == "True");
        var status = Has("Complete") ? "Complete"
            : Has("Failed") ? "Failed"
            : o.At("metadata", "deletionTimestamp") is not null ? "Terminating"
            : Has("Suspended") ? "Suspended"
            : Has("FailureTarget") ? "FailureTarget"
            : "Running";
        return Row(Name(o), status, completions, duration, Age(o, now),
            ContainerNames(o), ContainerImages(o), LabelSelectorText(o.At("spec", "selector")));
    }

    /// <summary>Core v1 and events.k8s.io/v1 Events print alike; the latter names its fields differently.</summary>
    private static KindPrinter EventPrinter(bool core)
    {
        var involved = core ? "involvedObject" : "regarding";
        var message = core ? "message" : "note";
        var source = core ? "source" : "deprecatedSource";
        var first = core ? "firstTimestamp" : "deprecatedFirstTimestamp";
        var last = core ? "lastTimestamp" : "deprecatedLastTimestamp";
        var countField = core ? "count" : "deprecatedCount";
        return new(
        [
            new("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
            new("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
            new("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            new("Object", "string", "The object that this event is about."),
            new("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", 1),
            new("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
            new("Message", "string", "A human-readable description of the status of this operation."),
            new("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
            new("Count", "string", "The number of times this event has occurred.", 1),
            new("Name", "string", CommonColumns.NameDescription, 1, "name"),
        ], (o, now) =>
        {
            var firstSeen = o.At(first) is not null
                ? HumanDuration.Since(o.Str(first), now)
                : HumanDuration.Since(o.Str("eventTime"), now);
            var lastSeen = o.At(last) is not null ? HumanDuration.Since(o.Str(last), now) : firstSeen;
            var count = o.Int(countField);
            if (o.At("series") is JsonObject series)
            {
                lastSeen = HumanDuration.Since(series.Str("lastObservedTime"), now);
                count = series.Int("count");
            }
            else if (count == 0)
            {
                count = 1; // singleton events carry no count in the newer API
            }

            var kind = o.Str(involved, "kind").ToLowerInvariant();
            var target = o.Str(involved, "name").Length > 0 ? $"{kind}/{o.Str(involved, "name")}" : kind;
            var component = First(o.Str(source, "component"), o.Str("reportingController"));
            var instance = First(o.Str(source, "host"), o.Str("reportingInstance"));
            var from = component.Length == 0 ? "<unknown>" : instance.Length > 0 ? $"{component}, {instance}" : component;
            return Row(lastSeen, o.Str("type"), o.Str("reason"), target, o.Str(involved, "fieldPath"), from,
                o.Str(message).Trim(), firstSeen, count, Name(o));
        });

        static string First(string a, string b) => a.Length > 0 ? a : b;
    }

    private static KindPrinter CreatedAtPrinter() => new(
        [CommonColumns.Name, new("Created At", "string", CommonColumns.CreationTimestampDescription)],
        (o, now) => Row(Name(o), CreatedAt(o)));

    private static KindPrinter BindingPrinter() => new(
        [
            CommonColumns.Name,
            new("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
            CommonColumns.Age,
            new("Users", "string", "Users in the roleBinding", 1),
            new("Groups", "string", "Groups in the roleBinding", 1),
            new("ServiceAccounts", "string", "ServiceAccounts in the roleBinding", 1),
        ],
        (o, now) =>
        {
            var subjects = o.Objects("subjects");
            string Join(string kind, Func<JsonObject, string> text) =>
                string.Join(", ", subjects.Where(s => s.Str("kind") == kind).Select(text));
            return Row(Name(o), $"{o.Str("roleRef", "kind")}/{o.Str("roleRef", "name")}", Age(o, now),
                Join("User", s => s.Str("name")), Join("Group", s => s.Str("name")),
                Join("ServiceAccount", s => $"{s.Str("namespace")}/{s.Str("name")}"));
        });

    private static KindPrinter WebhookPrinter() => new(
        [CommonColumns.Name, new("Webhooks", "integer", "Webhooks is a list of webhooks and the affected resources and operations."), CommonColumns.Age],
        (o, now) => Row(Name(o), (long)o.Count("webhooks"), Age(o, now)));

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
