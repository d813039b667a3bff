using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Runai.Sim.Api;
using Runai.Sim.Api.Storage;

namespace Runai.Sim.Cluster;

/// <summary>Small helpers the workload controllers (Deployments, ReplicaSets, Endpoints) share.</summary>
internal static class WorkloadObjects
{
    public static string Now(TimeProvider time) => KubeTime.Now(time);

    public static bool IsTerminating(JsonObject o) => o["metadata"]?["deletionTimestamp"] is not null;

    public static bool IsTerminal(JsonObject pod) => (string?)pod["status"]?["phase"] is "Succeeded" or "Failed";

    public static bool IsReady(JsonObject pod) =>
        (string?)pod["status"]?["phase"] == "Running"
        && (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True");

    public static long Generation(JsonObject o) => (long?)o["metadata"]?["generation"] ?? 1;

    public static string Name(JsonObject o) => (string?)o["metadata"]?["name"] ?? "";

    public static string Uid(JsonObject o) => (string?)o["metadata"]?["uid"] ?? "";

    public static IReadOnlyDictionary<string, string> Labels(JsonObject o) =>
        (o["metadata"]?["labels"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal);

    public static JsonObject ControllerRef(string apiVersion, string kind, JsonObject owner) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = Name(owner),
        ["uid"] = Uid(owner),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>
    /// The hash a Deployment puts in <c>pod-template-hash</c>: stable across key order (objects are hashed with sorted
    /// keys) and spelled with the API server's "safe" alphabet, as <c>7d4b9c8f5</c> looks on a real cluster.
    /// </summary>
    public static string TemplateHash(JsonObject template)
    {
        var canonical = Canonical(template)!.ToJsonString();
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        var number = BitConverter.ToUInt32(digest, 0).ToString(CultureInfo.InvariantCulture);
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Concat(number.Select(c => alphabet[c % alphabet.Length]));
    }

    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Canonical(kv.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Canonical)]),
        _ => node?.DeepClone(),
    };

    /// <summary>Sets a status condition; its transition time moves only when its status does, its update time when anything does.</summary>
    public static void SetCondition(JsonObject status, string type, bool value, string reason, string message, string now)
    {
        var conditions = status["conditions"] as JsonArray ?? (JsonArray)(status["conditions"] = new JsonArray());
        var text = value ? "True" : "False";
        var old = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);
        if (old is not null && (string?)old["status"] == text && (string?)old["reason"] == reason && (string?)old["message"] == message)
        {
            return;
        }

        var transition = old is not null && (string?)old["status"] == text ? (string?)old["lastTransitionTime"] ?? now : now;
        var fresh = new JsonObject
        {
            ["type"] = type,
            ["status"] = text,
            ["lastUpdateTime"] = now,
            ["lastTransitionTime"] = transition,
            ["reason"] = reason,
            ["message"] = message,
        };
        if (old is not null)
        {
            conditions[conditions.IndexOf(old)] = fresh;
        }
        else
        {
            conditions.Add(fresh);
        }
    }

    /// <summary>Store keys of the objects of <paramref name="ownerResource"/> that own <paramref name="changed"/> (a pod's ReplicaSet or Job, a ReplicaSet's Deployment).</summary>
    public static IEnumerable<string> OwnerKeys(ApiOperations ops, StoredObject changed, string ownerResource) =>
        changed.OwnerUids.Select(ops.Store.FindByUid).Where(o => o?.Resource == ownerResource).Select(o => o!.Key);

    /// <summary>The pods in <paramref name="ns"/> that the object with <paramref name="ownerUid"/> owns.</summary>
    public static List<JsonObject> OwnedPods(ApiOperations ops, string ns, string ownerUid) =>
        ops.Store.List("pods", ns).Items.Where(p => p.OwnerUids.Contains(ownerUid)).Select(p => p.ToJsonObject()).ToList();

    /// <summary>The object with its status replaced, for a <c>Mutate</c> callback.</summary>
    public static JsonObject WithStatus(JsonObject o, JsonObject status)
    {
        o["status"] = status;
        return o;
    }

    /// <summary>Deletes a pod as <paramref name="identity"/>; one already gone counts as deleted.</summary>
    public static async Task DeletePodAsync(ApiOperations ops, Api.Rbac.UserInfo identity, string ns, string name, CancellationToken ct)
    {
        try
        {
            await ops.DeleteAsync(identity, Def(ops, "pods"), ns, name, new DeleteOptions(), ct);
        }
        catch (ApiException e) when (e.Code == 404)
        {
        }
    }

    /// <summary>The identity a kube-controller-manager controller writes as: its kube-system service account.</summary>
    public static Api.Rbac.UserInfo ControllerIdentity(string serviceAccount) => new($"system:serviceaccount:kube-system:{serviceAccount}",
        ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated", "system:masters"]);

    public static ResourceDefinition Def(ApiOperations ops, string groupResource) =>
        ops.Registry.FindGroupResource(groupResource) ?? throw new InvalidOperationException($"{groupResource} is not served");
}
