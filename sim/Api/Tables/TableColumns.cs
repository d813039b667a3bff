using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>One column of a <c>meta.k8s.io/v1</c> Table; priority 0 is shown by default, 1 only with <c>-o wide</c>.</summary>
internal sealed record TableColumn(string Name, string Type, string Description, int Priority = 0, string Format = "")
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["type"] = Type,
        ["format"] = Format,
        ["description"] = Description,
        ["priority"] = Priority,
    };
}

/// <summary>The cells of one row and, for finished pods, the row conditions the real server adds.</summary>
internal sealed record PrintedRow(IReadOnlyList<JsonNode?> Cells, JsonArray? Conditions = null);

/// <summary>How one kind is printed: its columns and the function that computes a row's cells (in column order).</summary>
internal sealed record KindPrinter(IReadOnlyList<TableColumn> Columns, Func<JsonObject, DateTimeOffset, PrintedRow> Print);

/// <summary>Column descriptions shared by many kinds (from ObjectMeta's API documentation).</summary>
internal static class CommonColumns
{
    public const string NameDescription =
        "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client " +
        "to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and " +
        "configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

    public const string CreationTimestampDescription =
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set " +
        "in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is " +
        "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: " +
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    public static readonly TableColumn Name = new("Name", "string", NameDescription, Format: "name");
    public static readonly TableColumn Age = new("Age", "string", CreationTimestampDescription);
    public static readonly TableColumn CreatedAt = new("Created At", "date", CreationTimestampDescription);
}
