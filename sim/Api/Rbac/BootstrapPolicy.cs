using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Rbac;

/// <summary>
/// The default ClusterRoles and ClusterRoleBindings a fresh cluster has, as far as they matter here:
/// cluster-admin for system:masters; the user-facing admin, edit and view roles (built by aggregation, so
/// roles labelled aggregate-to-view etc. extend them as on a real cluster); and what every authenticated
/// identity may do (discovery, version, self access reviews).
/// </summary>
internal static class BootstrapPolicy
{
    const string Rbac = "rbac.authorization.k8s.io";
    const string AggregateTo = "rbac.authorization.k8s.io/aggregate-to-";
    static readonly string[] Read = ["get", "list", "watch"];
    static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    static readonly string[] ReadWrite = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>Fresh copies of the objects, ClusterRoles first; the caller may store and mutate them.</summary>
    public static IReadOnlyList<JsonObject> Objects =>
    [
        ClusterRole("cluster-admin", rules:
        [
            Rule(["*"], ["*"], ["*"]),
            NonResource(["*"], ["*"]),
        ]),
        ClusterRole("admin", aggregateFrom: "admin"),
        ClusterRole("edit", aggregateFrom: "edit", labels: new() { [AggregateTo + "admin"] = "true" }),
        ClusterRole("view", aggregateFrom: "view", labels: new() { [AggregateTo + "edit"] = "true" }),
        ClusterRole("system:aggregate-to-admin", labels: new() { [AggregateTo + "admin"] = "true" }, rules:
        [
            Rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
            Rule([Rbac], ["rolebindings", "roles"], ReadWrite),
        ]),
        ClusterRole("system:aggregate-to-edit", labels: new() { [AggregateTo + "edit"] = "true" }, rules:
        [
            Rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], Read),
            Rule([""], ["serviceaccounts"], ["impersonate"]),
            Rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], Write),
            Rule([""], ["pods/eviction"], ["create"]),
            Rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale",
                "secrets", "serviceaccounts", "services", "services/proxy"], Write),
            Rule([""], ["serviceaccounts/token"], ["create"]),
            Rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                "replicasets/scale", "statefulsets", "statefulsets/scale"], Write),
            Rule(["autoscaling"], ["horizontalpodautoscalers"], Write),
            Rule(["batch"], ["cronjobs", "jobs"], Write),
            Rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], Write),
            Rule(["policy"], ["poddisruptionbudgets"], Write),
        ]),
        ClusterRole("system:aggregate-to-view", labels: new() { [AggregateTo + "view"] = "true" }, rules:
        [
            Rule([""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"], Read),
            Rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"], Read),
            Rule([""], ["namespaces"], Read),
            Rule(["discovery.k8s.io"], ["endpointslices"], Read),
            Rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
                "statefulsets/scale", "statefulsets/status"], Read),
            Rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], Read),
            Rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], Read),
            Rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], Read),
            Rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], Read),
        ]),
        ClusterRole("system:basic-user", rules:
        [
            Rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
            Rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
        ]),
        ClusterRole("system:discovery", rules:
        [
            NonResource(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                "/readyz", "/version", "/version/"], ["get"]),
        ]),
        ClusterRole("system:public-info-viewer", rules:
        [
            NonResource(["/healthz", "/livez", "/readyz", "/version", "/version/"], ["get"]),
        ]),
        ClusterRoleBinding("cluster-admin", "cluster-admin", "system:masters"),
        ClusterRoleBinding("system:basic-user", "system:basic-user", "system:authenticated"),
        ClusterRoleBinding("system:discovery", "system:discovery", "system:authenticated"),
        ClusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", "system:authenticated", "system:unauthenticated"),
    ];

    static JsonObject Metadata(string name, Dictionary<string, string>? labels)
    {
        var all = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        foreach (var (k, v) in labels ?? []) all[k] = v;
        return new JsonObject
        {
            ["name"] = name,
            ["labels"] = all,
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        };
    }

    static JsonObject ClusterRole(string name, JsonObject[]? rules = null, string? aggregateFrom = null, Dictionary<string, string>? labels = null)
    {
        var role = new JsonObject
        {
            ["apiVersion"] = $"{Rbac}/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = Metadata(name, labels),
            ["rules"] = new JsonArray([.. rules ?? []]),
        };
        if (aggregateFrom is not null)
            role["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(new JsonObject
                {
                    ["matchLabels"] = new JsonObject { [AggregateTo + aggregateFrom] = "true" },
                }),
            };
        return role;
    }

    static JsonObject ClusterRoleBinding(string name, string role, params string[] groups) => new()
    {
        ["apiVersion"] = $"{Rbac}/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = Metadata(name, null),
        ["roleRef"] = new JsonObject { ["apiGroup"] = Rbac, ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray([.. groups.Select(g => (JsonNode)new JsonObject { ["apiGroup"] = Rbac, ["kind"] = "Group", ["name"] = g })]),
    };

    static JsonObject Rule(string[] apiGroups, string[] resources, string[] verbs) => new()
    {
        ["apiGroups"] = Array(apiGroups),
        ["resources"] = Array(resources),
        ["verbs"] = Array(verbs),
    };

    static JsonObject NonResource(string[] urls, string[] verbs) => new()
    {
        ["nonResourceURLs"] = Array(urls),
        ["verbs"] = Array(verbs),
    };

    static JsonArray Array(string[] values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
