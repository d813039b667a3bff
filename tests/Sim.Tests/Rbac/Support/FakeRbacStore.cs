using System.Text.Json.Nodes;
using Runai.Sim.Api.Rbac;

namespace Runai.Sim.Tests.Rbac.Support;

/// <summary>An in-memory stand-in for the API server's storage of the four RBAC resources.</summary>
internal sealed class FakeRbacStore
{
    readonly Dictionary<string, List<JsonObject>> _objects = new()
    {
        [RbacAuthorizer.Roles] = [],
        [RbacAuthorizer.ClusterRoles] = [],
        [RbacAuthorizer.RoleBindings] = [],
        [RbacAuthorizer.ClusterRoleBindings] = [],
    };
    long _revision = 1;

    public long Revision => _revision;
    public int Reads { get; private set; }

    public IEnumerable<JsonObject> Objects(string plural)
    {
        Reads++;
        return _objects[plural];
    }

    public RbacAuthorizer Authorizer() => new(Objects, () => _revision);

    public FakeRbacStore Add(JsonObject o)
    {
        _objects[PluralOf(o)].Add(o);
        o["metadata"]!["resourceVersion"] = (++_revision).ToString();
        return this;
    }

    public FakeRbacStore AddAll(IEnumerable<JsonObject> objects)
    {
        foreach (var o in objects) Add(o);
        return this;
    }

    public void Delete(string plural, string name)
    {
        _objects[plural].RemoveAll(o => o["metadata"]!["name"]!.GetValue<string>() == name);
        _revision++;
    }

    static string PluralOf(JsonObject o) => o["kind"]!.GetValue<string>() switch
    {
        "Role" => RbacAuthorizer.Roles,
        "ClusterRole" => RbacAuthorizer.ClusterRoles,
        "RoleBinding" => RbacAuthorizer.RoleBindings,
        "ClusterRoleBinding" => RbacAuthorizer.ClusterRoleBindings,
        var k => throw new ArgumentException($"not an RBAC kind: {k}"),
    };
}

/// <summary>Terse builders for RBAC objects in tests.</summary>
internal static class RbacObjects
{
    public static JsonObject Rule(string[] apiGroups, string[] resources, string[] verbs, string[]? resourceNames = null)
    {
        var rule = new JsonObject
        {
            ["apiGroups"] = Array(apiGroups),
            ["resources"] = Array(resources),
            ["verbs"] = Array(verbs),
        };
        if (resourceNames is not null) rule["resourceNames"] = Array(resourceNames);
        return rule;
    }

    public static JsonObject UrlRule(string[] urls, string[] verbs) => new()
    {
        ["nonResourceURLs"] = Array(urls),
        ["verbs"] = Array(verbs),
    };

    public static JsonObject Role(string ns, string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "Role",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["rules"] = new JsonArray([.. rules]),
    };

    public static JsonObject ClusterRole(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["rules"] = new JsonArray([.. rules]),
    };

    public static JsonObject Labelled(this JsonObject o, string key, string value)
    {
        var meta = o["metadata"]!.AsObject();
        if (meta["labels"] is not JsonObject labels) meta["labels"] = labels = new JsonObject();
        labels[key] = value;
        return o;
    }

    public static JsonObject Aggregating(this JsonObject clusterRole, string labelKey, string labelValue)
    {
        clusterRole["aggregationRule"] = new JsonObject
        {
            ["clusterRoleSelectors"] = new JsonArray(new JsonObject
            {
                ["matchLabels"] = new JsonObject { [labelKey] = labelValue },
            }),
        };
        return clusterRole;
    }

    public static JsonObject RoleBinding(string ns, string name, string roleKind, string roleName, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = roleName },
        ["subjects"] = new JsonArray([.. subjects]),
    };

    public static JsonObject ClusterRoleBinding(string name, string roleName, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = roleName },
        ["subjects"] = new JsonArray([.. subjects]),
    };

    public static JsonObject User(string name) => new() { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = name };
    public static JsonObject Group(string name) => new() { ["kind"] = "Group", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = name };

    public static JsonObject ServiceAccount(string ns, string name) => new() { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = ns };

    static JsonArray Array(string[] values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
