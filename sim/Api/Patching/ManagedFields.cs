using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Patching;

/// <summary>One <c>metadata.managedFields</c> entry: what a manager owns through one kind of operation.</summary>
internal sealed class ManagedFieldsEntry
{
    public required string Manager { get; init; }
    /// <summary>"Apply" or "Update".</summary>
    public required string Operation { get; init; }
    public required string ApiVersion { get; set; }
    public string? Time { get; set; }
    public string? Subresource { get; init; }
    public required FieldSet Fields { get; set; }

    public bool Is(string manager, string operation, string? subresource = null) =>
        Manager == manager && Operation == operation && Subresource == subresource;

    /// <summary>How conflict messages name the manager, as kube-apiserver does.</summary>
    public string Describe()
    {
        var name = $"\"{Manager}\"" + (Subresource is null ? "" : $" with subresource \"{Subresource}\"");
        return Operation == "Update" ? $"{name} using {ApiVersion}" : name;
    }
}

/// <summary>Reading and writing <c>metadata.managedFields</c>.</summary>
internal static class ManagedFields
{
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The entries of an object's managedFields (none when absent).</summary>
    /// <exception cref="ApiException">400 BadRequest naming the entry when one is malformed.</exception>
    public static List<ManagedFieldsEntry> Read(JsonObject? obj)
    {
        var entries = new List<ManagedFieldsEntry>();
        if (obj?["metadata"] is not JsonObject metadata || !metadata.TryGetPropertyValue("managedFields", out var node) || node is null)
            return entries;
        if (node is not JsonArray array)
            throw ApiException.BadRequest($"metadata.managedFields must be a list, got {JsonTree.Describe(node)}");
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject entry)
                throw ApiException.BadRequest($"metadata.managedFields[{i}] must be an object, got {JsonTree.Describe(array[i])}");
            string Required(string name) => JsonTree.GetString(entry, name)
                ?? throw ApiException.BadRequest($"metadata.managedFields[{i}].{name} must be a string");
            var fieldsType = JsonTree.GetString(entry, "fieldsType") ?? "FieldsV1";
            if (fieldsType != "FieldsV1")
                throw ApiException.BadRequest($"metadata.managedFields[{i}].fieldsType must be \"FieldsV1\", got \"{fieldsType}\"");
            var operation = Required("operation");
            if (operation is not ("Apply" or "Update"))
                throw ApiException.BadRequest($"metadata.managedFields[{i}].operation must be \"Apply\" or \"Update\", got \"{operation}\"");
            entries.Add(new ManagedFieldsEntry
            {
                Manager = Required("manager"),
                Operation = operation,
                ApiVersion = JsonTree.GetString(entry, "apiVersion") ?? "",
                Time = JsonTree.GetString(entry, "time"),
                Subresource = JsonTree.GetString(entry, "subresource"),
                Fields = entry["fieldsV1"] is JsonObject fieldsV1 ? FieldSet.FromFieldsV1(fieldsV1) : new FieldSet(),
            });
        }
        return entries;
    }

    /// <summary>
    /// The managedFields list: entries that own nothing dropped, the rest in kube-apiserver's order
    /// (operation, then time, then manager).
    /// </summary>
    public static JsonArray Write(IEnumerable<ManagedFieldsEntry> entries)
    {
        var ordered = entries.Where(e => !e.Fields.IsEmpty)
            .OrderBy(e => e.Operation, StringComparer.Ordinal)
            .ThenBy(e => e.Time ?? "", StringComparer.Ordinal) // RFC 3339 UTC text sorts as time does
            .ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
            .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal);
        var array = new JsonArray();
        foreach (var e in ordered)
        {
            var obj = new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
            };
            if (e.Time is not null)
                obj["time"] = e.Time;
            obj["fieldsType"] = "FieldsV1";
            obj["fieldsV1"] = e.Fields.ToFieldsV1();
            if (e.Subresource is not null)
                obj["subresource"] = e.Subresource;
            array.Add(obj);
        }
        return array;
    }
}
