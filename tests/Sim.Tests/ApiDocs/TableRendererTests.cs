using System.Globalization;
using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Tables;
using Runai.Sim.Tests.ApiDocs.Support;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class TableRendererTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-06-01T12:00:00Z", CultureInfo.InvariantCulture);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static List<string> Headers(JsonObject table, bool wide = false) =>
        table["columnDefinitions"]!.AsArray()
            .Where(c => wide || (int)c!["priority"]! == 0)
            .Select(c => c!["name"]!.GetValue<string>().ToUpperInvariant()).ToList();

    private static JsonArray Cells(JsonObject table, int row = 0) => table["rows"]![row]!["cells"]!.AsArray();

    private static ResourceDefinition BuiltIn(string group, string kind, string plural, bool namespaced = true) => new()
    {
        Group = group, Version = "v1", Kind = kind, Plural = plural, Namespaced = namespaced, BuiltIn = true,
    };

    [Fact]
    public void ATableCarriesKindListMetadataAndPartialObjectMetadataRows()
    {
        var pod = Obj("""{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "uid": "u1", "creationTimestamp": "2025-06-01T11:59:00Z"}, "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Pending"}}""");
        var table = TableRenderer.Render(Definitions.Pod(), [pod], "42", "next-page", "Metadata", Now);

        Assert.Equal("Table", (string?)table["kind"]);
        Assert.Equal("meta.k8s.io/v1", (string?)table["apiVersion"]);
        Assert.Equal("42", (string?)table["metadata"]!["resourceVersion"]);
        Assert.Equal("next-page", (string?)table["metadata"]!["continue"]);
        var obj = table["rows"]![0]!["object"]!;
        Assert.Equal("PartialObjectMetadata", (string?)obj["kind"]);
        Assert.Equal("meta.k8s.io/v1", (string?)obj["apiVersion"]);
        Assert.Equal("u1", (string?)obj["metadata"]!["uid"]);
        Assert.Null(obj["spec"]);
        var first = table["columnDefinitions"]![0]!.AsObject();
        Assert.Equal(["name", "type", "format", "description", "priority"], first.Select(p => p.Key));
        Assert.Equal("name", (string?)first["format"]);
    }

    [Fact]
    public void IncludeObjectChoosesWhatEachRowCarries()
    {
        var pod = Obj("""{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"nodeName": "n"}}""");
        Assert.Equal("n", (string?)TableRenderer.Render(Definitions.Pod(), [pod], "1", null, "Object", Now)["rows"]![0]!["object"]!["spec"]!["nodeName"]);
        var none = TableRenderer.Render(Definitions.Pod(), [pod], "1", null, "None", Now)["rows"]![0]!.AsObject();
        Assert.True(none.ContainsKey("object"));
        Assert.Null(none["object"]);
        Assert.Null(TableRenderer.Render(Definitions.Pod(), [pod], "1", null, "Metadata", Now)["metadata"]!["continue"]);
        var e = Assert.Throws<ApiException>(() => TableRenderer.Render(Definitions.Pod(), [pod], "1", null, "Everything", Now));
        Assert.Equal(400, e.Code);
    }

    [Fact]
    public void PodsShowTheirUsualColumnsAndTheWideOnes()
    {
        var table = TableRenderer.Render(Definitions.Pod(), [], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE"], Headers(table));
        Assert.Equal(["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"], Headers(table, wide: true));
        Assert.Empty(table["rows"]!.AsArray());
    }

    [Fact]
    public void NodesShowReadinessRolesVersionAndAddresses()
    {
        var node = Obj("""
            {"metadata": {"name": "gpu-1", "creationTimestamp": "2025-05-30T09:00:00Z",
               "labels": {"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/gpu": "", "kubernetes.io/role": "infra"}},
             "spec": {"unschedulable": true},
             "status": {"conditions": [{"type": "Ready", "status": "True"}],
               "addresses": [{"type": "InternalIP", "address": "10.1.0.5"}],
               "nodeInfo": {"kubeletVersion": "v1.32.0", "osImage": "Ubuntu 22.04", "kernelVersion": "6.8.0", "containerRuntimeVersion": "containerd://1.7"}}}
            """);
        var table = TableRenderer.Render(BuiltIn("", "Node", "nodes", namespaced: false), [node], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION"], Headers(table));
        Assert.Equal(["gpu-1", "Ready,SchedulingDisabled", "gpu,infra,worker", "2d3h", "v1.32.0", "10.1.0.5", "<none>", "Ubuntu 22.04", "6.8.0", "containerd://1.7"],
            Cells(table).Select(c => c!.GetValue<string>()));

        var notReady = Obj("""{"metadata": {"name": "n"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}""");
        Assert.Equal("NotReady", Cells(TableRenderer.Render(BuiltIn("", "Node", "nodes", false), [notReady], "1", null, "", Now))[1]!.GetValue<string>());
        var noConditions = Obj("""{"metadata": {"name": "n"}}""");
        Assert.Equal("Unknown", Cells(TableRenderer.Render(BuiltIn("", "Node", "nodes", false), [noConditions], "1", null, "", Now))[1]!.GetValue<string>());
    }

    [Fact]
    public void DeploymentsShowReadyOverDesiredAndCounts()
    {
        var deployment = Obj("""
            {"metadata": {"name": "workload-controller", "creationTimestamp": "2025-06-01T11:00:00Z"},
             "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "wc"}}, "template": {"spec": {"containers": [{"name": "wc", "image": "runai/wc:1"}]}}},
             "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1}}
            """);
        var table = TableRenderer.Render(Definitions.Deployment(), [deployment], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], Headers(table));
        var cells = Cells(table);
        Assert.Equal("1/2", cells[1]!.GetValue<string>());
        Assert.Equal(2L, cells[2]!.GetValue<long>());
        Assert.Equal(1L, cells[3]!.GetValue<long>());
        Assert.Equal("60m", cells[4]!.GetValue<string>());
        Assert.Equal(["wc", "runai/wc:1", "app=wc"], cells.Skip(5).Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void DaemonSetsShowScheduledCountsAndTheirNodeSelector()
    {
        var ds = Obj("""
            {"metadata": {"name": "node-daemon", "creationTimestamp": "2025-06-01T11:59:30Z"},
             "spec": {"selector": {"matchLabels": {"app": "nd"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]}]},
                      "template": {"spec": {"nodeSelector": {"nvidia.com/gpu.present": "true", "a": "b"}, "containers": [{"name": "nd", "image": "nd:1"}]}}},
             "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}}
            """);
        var table = TableRenderer.Render(BuiltIn("apps", "DaemonSet", "daemonsets"), [ds], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"], Headers(table));
        var cells = Cells(table);
        Assert.Equal([3L, 3L, 2L, 3L, 2L], cells.Skip(1).Take(5).Select(c => c!.GetValue<long>()));
        Assert.Equal("a=b,nvidia.com/gpu.present=true", cells[6]!.GetValue<string>());
        Assert.Equal("30s", cells[7]!.GetValue<string>());
        Assert.Equal("app=nd,tier in (a,b)", cells[10]!.GetValue<string>());
    }

    [Fact]
    public void LeasesShowTheirHolder()
    {
        var def = new ResourceDefinition { Group = "coordination.k8s.io", Version = "v1", Kind = "Lease", Plural = "leases", Namespaced = true, BuiltIn = true };
        var held = Obj("""{"metadata": {"name": "scheduler"}, "spec": {"holderIdentity": "scheduler-0"}}""");
        var free = Obj("""{"metadata": {"name": "free"}, "spec": {}}""");
        var table = TableRenderer.Render(def, [held, free], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "HOLDER", "AGE"], Headers(table));
        Assert.Equal("scheduler-0", Cells(table, 0)[1]!.GetValue<string>());
        Assert.Equal("<none>", Cells(table, 1)[1]!.GetValue<string>());
        Assert.Equal("<unknown>", Cells(table, 1)[2]!.GetValue<string>());
    }

    [Fact]
    public void ServicesShowTypeAddressesAndPorts()
    {
        var svc = Obj("""
            {"metadata": {"name": "prometheus"}, "spec": {"type": "NodePort", "clusterIP": "10.96.0.10", "selector": {"app": "prom"},
              "ports": [{"port": 9090, "nodePort": 30090, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}}
            """);
        var lb = Obj("""{"metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.11", "ports": [{"port": 80}]}}""");
        var table = TableRenderer.Render(BuiltIn("", "Service", "services"), [svc, lb], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Headers(table));
        Assert.Equal(["prometheus", "NodePort", "10.96.0.10", "<none>", "9090:30090/TCP,53/UDP"], Cells(table).Take(5).Select(c => c!.GetValue<string>()));
        Assert.Equal("app=prom", Cells(table)[6]!.GetValue<string>());
        Assert.Equal("<pending>", Cells(table, 1)[3]!.GetValue<string>());
        Assert.Equal("<none>", Cells(table, 1)[6]!.GetValue<string>());
    }

    [Fact]
    public void JobsShowStatusCompletionsAndDuration()
    {
        var job = Obj("""
            {"metadata": {"name": "train"}, "spec": {"completions": 1},
             "status": {"succeeded": 1, "startTime": "2025-06-01T11:00:00Z", "completionTime": "2025-06-01T11:03:12Z",
                        "conditions": [{"type": "Complete", "status": "True"}]}}
            """);
        var running = Obj("""{"metadata": {"name": "r"}, "spec": {"parallelism": 4}, "status": {"startTime": "2025-06-01T11:59:15Z"}}""");
        var table = TableRenderer.Render(BuiltIn("batch", "Job", "jobs"), [job, running], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], Headers(table));
        Assert.Equal(["train", "Complete", "1/1", "3m12s"], Cells(table).Take(4).Select(c => c!.GetValue<string>()));
        Assert.Equal(["r", "Running", "0/1 of 4", "45s"], Cells(table, 1).Take(4).Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void EventsShowLastSeenTypeReasonObjectAndMessage()
    {
        var ev = Obj("""
            {"metadata": {"name": "p.1"}, "type": "Warning", "reason": "FailedScheduling", "message": " 0/3 nodes are available ",
             "involvedObject": {"kind": "Pod", "name": "p"}, "source": {"component": "runai-scheduler"},
             "firstTimestamp": "2025-06-01T11:50:00Z", "lastTimestamp": "2025-06-01T11:59:00Z", "count": 7}
            """);
        var table = TableRenderer.Render(BuiltIn("", "Event", "events"), [ev], "1", null, "Metadata", Now);
        Assert.Equal(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], Headers(table));
        var cells = Cells(table);
        Assert.Equal(["60s", "Warning", "FailedScheduling", "pod/p", "", "runai-scheduler", "0/3 nodes are available", "10m"],
            cells.Take(8).Select(c => c!.GetValue<string>()));
        Assert.Equal(7L, cells[8]!.GetValue<long>());

        var newApi = Obj("""
            {"metadata": {"name": "e"}, "type": "Normal", "reason": "Scheduled", "note": "assigned", "regarding": {"kind": "Pod", "name": "q"},
             "reportingController": "sched", "reportingInstance": "sched-0", "eventTime": "2025-06-01T11:58:00.000000Z"}
            """);
        var def = new ResourceDefinition { Group = "events.k8s.io", Version = "v1", Kind = "Event", Plural = "events", Namespaced = true, BuiltIn = true };
        var c2 = Cells(TableRenderer.Render(def, [newApi], "1", null, "Metadata", Now));
        Assert.Equal(["2m", "Normal", "Scheduled", "pod/q", "", "sched, sched-0", "assigned", "2m"], c2.Take(8).Select(c => c!.GetValue<string>()));
        Assert.Equal(1L, c2[8]!.GetValue<long>());
    }

    [Fact]
    public void ConfigMapsSecretsAndServiceAccountsCountTheirEntries()
    {
        var cm = Obj("""{"metadata": {"name": "cm"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}""");
        var table = TableRenderer.Render(BuiltIn("", "ConfigMap", "configmaps"), [cm], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "DATA", "AGE"], Headers(table));
        Assert.Equal(3L, Cells(table)[1]!.GetValue<long>());

        var secret = Obj("""{"metadata": {"name": "s"}, "type": "Opaque", "data": {"token": "eA=="}}""");
        var st = TableRenderer.Render(BuiltIn("", "Secret", "secrets"), [secret], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "TYPE", "DATA", "AGE"], Headers(st));
        Assert.Equal(1L, Cells(st)[2]!.GetValue<long>());

        var sa = TableRenderer.Render(BuiltIn("", "ServiceAccount", "serviceaccounts"), [Obj("""{"metadata": {"name": "default"}}""")], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "SECRETS", "AGE"], Headers(sa));
        Assert.Equal(0L, Cells(sa)[1]!.GetValue<long>());
    }

    [Fact]
    public void RbacKindsShowCreationTimeOrTheirRole()
    {
        var role = Obj("""{"metadata": {"name": "viewer", "creationTimestamp": "2025-06-01T10:00:00+02:00"}}""");
        var rt = TableRenderer.Render(BuiltIn("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false), [role], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "CREATED AT"], Headers(rt));
        Assert.Equal("2025-06-01T08:00:00Z", Cells(rt)[1]!.GetValue<string>());

        var binding = Obj("""
            {"metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "viewer"},
             "subjects": [{"kind": "User", "name": "ann"}, {"kind": "ServiceAccount", "namespace": "runai", "name": "sched"}, {"kind": "Group", "name": "ops"}]}
            """);
        var bt = TableRenderer.Render(BuiltIn("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"), [binding], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "ROLE", "AGE"], Headers(bt));
        Assert.Equal(["b", "ClusterRole/viewer", "<unknown>", "ann", "ops", "runai/sched"], Cells(bt).Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void NamespacesAndCrdsShowTheirUsualColumns()
    {
        var ns = TableRenderer.Render(Definitions.Namespace(), [Obj("""{"metadata": {"name": "runai"}, "status": {"phase": "Active"}}""")], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "STATUS", "AGE"], Headers(ns));
        Assert.Equal("Active", Cells(ns)[1]!.GetValue<string>());

        var crdDef = new ResourceDefinition { Group = "apiextensions.k8s.io", Version = "v1", Kind = "CustomResourceDefinition", Plural = "customresourcedefinitions", Namespaced = false, BuiltIn = true };
        var crd = TableRenderer.Render(crdDef, [Obj("""{"metadata": {"name": "projects.run.ai", "creationTimestamp": "2025-06-01T11:00:00Z"}}""")], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "CREATED AT"], Headers(crd));
        Assert.Equal("2025-06-01T11:00:00Z", Cells(crd)[1]!.GetValue<string>());
    }

    [Fact]
    public void CustomResourcesShowTheirPrinterColumnsWithAgeAdded()
    {
        var def = Definitions.Project() with
        {
            PrinterColumns =
            [
                new PrinterColumn("Quota", "integer", ".spec.gpus.quota"),
                new PrinterColumn("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", Description: "Whether it is ready"),
                new PrinterColumn("Department", "string", ".spec.department", Priority: 1),
            ],
        };
        var project = Obj("""
            {"metadata": {"name": "team-a", "creationTimestamp": "2025-06-01T11:58:00Z"}, "spec": {"gpus": {"quota": 4}},
             "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
            """);
        var table = TableRenderer.Render(def, [project], "1", null, "Metadata", Now);
        Assert.Equal(["NAME", "QUOTA", "READY", "AGE"], Headers(table));
        var columns = table["columnDefinitions"]!.AsArray();
        Assert.Equal("Custom resource definition column (in JSONPath format): .spec.gpus.quota", (string?)columns[1]!["description"]);
        Assert.Equal("Whether it is ready", (string?)columns[2]!["description"]);
        Assert.Equal("date", (string?)columns[4]!["type"]);
        var cells = Cells(table);
        Assert.Equal("team-a", cells[0]!.GetValue<string>());
        Assert.Equal(4L, cells[1]!.GetValue<long>());
        Assert.Equal("True", cells[2]!.GetValue<string>());
        Assert.Null(cells[3]);
        Assert.Equal("2m", cells[4]!.GetValue<string>());
    }

    [Fact]
    public void ACustomResourceThatListsAgeGetsItOnce()
    {
        var def = Definitions.Project() with { PrinterColumns = [new PrinterColumn("Age", "date", ".metadata.creationTimestamp"), new PrinterColumn("Quota", "integer", ".spec.gpus.quota")] };
        Assert.Equal(["NAME", "AGE", "QUOTA"], Headers(TableRenderer.Render(def, [], "1", null, "Metadata", Now)));
    }

    [Fact]
    public void AKindWithoutColumnsShowsNameAndAge()
    {
        var table = TableRenderer.Render(Definitions.Workload(), [Obj("""{"metadata": {"name": "w", "creationTimestamp": "2025-06-01T11:59:15Z"}}""")], "7", null, "Metadata", Now);
        Assert.Equal(["NAME", "AGE"], Headers(table));
        Assert.Equal(["w", "45s"], Cells(table).Select(c => c!.GetValue<string>()));
    }

    [Fact]
    public void AnUnparsablePrinterColumnGivesEmptyCellsRatherThanFailingTheList()
    {
        var def = Definitions.Project() with { PrinterColumns = [new PrinterColumn("Broken", "string", ".spec[")] };
        var table = TableRenderer.Render(def, [Obj("""{"metadata": {"name": "x"}}""")], "1", null, "Metadata", Now);
        Assert.Null(Cells(table)[1]);
    }
}
