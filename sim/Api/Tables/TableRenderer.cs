using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>
/// Renders objects as the <c>meta.k8s.io/v1</c> <c>Table</c> that kube-apiserver returns for
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>, which is what <c>kubectl get</c> prints.
/// Built-in kinds get their usual columns; other kinds their printer columns, else NAME and AGE.
/// </summary>
internal static class TableRenderer
{
    private const string CustomColumnDescription = "Custom resource definition column (in JSONPath format): ";

    /// <param name="includeObject">None, Metadata (kubectl's default; also used when empty) or Object.</param>
    public static JsonObject Render(ResourceDefinition def, IReadOnlyList<JsonObject> items, string listResourceVersion,
        string? continueToken, string includeObject, DateTimeOffset now)
    {
        var include = includeObject switch
        {
            "" or "Metadata" => "Metadata",
            "None" or "Object" => includeObject,
            _ => throw ApiException.BadRequest(
                $"includeObject must be one of None, Metadata or Object, not \"{includeObject}\""),
        };

        var printer = PrinterFor(def);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var printed = printer.Print(item, now);
            var row = new JsonObject
            {
                ["cells"] = new JsonArray(printed.Cells.Select(c => c?.DeepClone()).ToArray()),
                ["object"] = include switch
                {
                    "Metadata" => new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = item["metadata"]?.DeepClone() ?? new JsonObject(),
                    },
                    "Object" => item.DeepClone(),
                    _ => null,
                },
            };
            if (printed.Conditions is { } conditions)
            {
                row["conditions"] = conditions.DeepClone();
            }

            rows.Add(row);
        }

        var metadata = new JsonObject();
        if (listResourceVersion.Length > 0)
        {
            metadata["resourceVersion"] = listResourceVersion;
        }

        if (!string.IsNullOrEmpty(continueToken))
        {
            metadata["continue"] = continueToken;
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = new JsonArray(printer.Columns.Select(c => (JsonNode)c.ToJson()).ToArray()),
            ["rows"] = rows,
        };
    }

    /// <summary>The printer used for a kind: the built-in one, else one built from its printer columns, else NAME and AGE.</summary>
    public static KindPrinter PrinterFor(ResourceDefinition def)
    {
        if (BuiltInPrinters.TryGet(def.Group, def.Kind, out var builtIn))
        {
            return builtIn;
        }

        var columns = def.PrinterColumns.ToList();
        var listsAge = columns.Any(c => c.Name.Equals("Age", StringComparison.OrdinalIgnoreCase)
            || c.JsonPath.Trim() == ".metadata.creationTimestamp");
        if (!listsAge)
        {
            // ResourceDefinition's contract: AGE is added unless listed (what a CRD without columns shows).
            columns.Add(new PrinterColumn("Age", "date", ".metadata.creationTimestamp", Description: CommonColumns.CreationTimestampDescription));
        }

        var paths = columns.Select(c => TryParse(c.JsonPath)).ToList();
        var tableColumns = new List<TableColumn> { CommonColumns.Name };
        tableColumns.AddRange(columns.Select(c => new TableColumn(c.Name, c.Type,
            string.IsNullOrEmpty(c.Description) ? CustomColumnDescription + c.JsonPath : c.Description, c.Priority, c.Format ?? "")));

        return new KindPrinter(tableColumns, (item, now) =>
        {
            var cells = new List<JsonNode?> { JsonValue.Create(item.Str("metadata", "name")) };
            for (var i = 0; i < columns.Count; i++)
            {
                cells.Add(paths[i] is { } path ? CustomCell(columns[i].Type, path.Evaluate(item), now) : null);
            }

            return new PrintedRow(cells);
        });
    }

    /// <summary>A bad path yields empty cells, as the real server's convertor leaves a cell empty when evaluation fails.</summary>
    private static PrinterJsonPath? TryParse(string path)
    {
        try
        {
            return PrinterJsonPath.Parse(path);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// One printer-column cell from the first value the path selects, typed as the column says:
    /// strings are printed as text, dates as an age, numbers and booleans kept as JSON values; anything
    /// missing or of the wrong type is an empty (null) cell.
    /// </summary>
    public static JsonNode? CustomCell(string type, IReadOnlyList<JsonNode?> results, DateTimeOffset now)
    {
        if (results.Count == 0 || results[0] is not { } value)
        {
            return null;
        }

        var kind = value.GetValueKind();
        switch (type)
        {
            case "string":
                return JsonValue.Create(AsText(value));
            case "integer" when kind == JsonValueKind.Number:
                value.TryGetDouble(out var d);
                return JsonValue.Create(value.TryGetLong(out var l) ? l : (long)d);
            case "number" when kind == JsonValueKind.Number:
                value.TryGetDouble(out var n);
                return JsonValue.Create(n);
            case "boolean" when kind is JsonValueKind.True or JsonValueKind.False:
                return JsonValue.Create(kind == JsonValueKind.True);
            case "date" when kind == JsonValueKind.String:
                return JsonValue.Create(HumanDuration.TryParseTime(value.GetValue<string>(), out var t)
                    ? HumanDuration.Format(now - t)
                    : "<invalid>");
            default:
                return null;
        }
    }

    private static string AsText(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => value.ToJsonString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };
}
