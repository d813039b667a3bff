using System.Text.Json.Nodes;

namespace Runai.Sim.Api;

/// <summary>A printer column as a CRD's additionalPrinterColumns states it.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string? Format = null, string? Description = null, int Priority = 0);

/// <summary>
/// One REST resource the simulated API server serves: a built-in kind or one defined by a CRD.
/// Everything that discovery, OpenAPI, Table output, validation and storage need to know about it.
/// </summary>
internal sealed record ResourceDefinition
{
    /// <summary>API group; empty for the core group.</summary>
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Kind { get; init; }
    public required string Plural { get; init; }
    public string Singular => Kind.ToLowerInvariant();
    public required bool Namespaced { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public IReadOnlyList<string> Verbs { get; init; } = DefaultVerbs;
    /// <summary>Subresources served, e.g. "status", "scale", "binding", "eviction", "log".</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];
    /// <summary>The openAPIV3Schema of the kind; null when the kind accepts anything (preserve unknown fields).</summary>
    public JsonObject? Schema { get; init; }
    /// <summary>Columns for Table output besides NAME (and AGE, which is added unless listed).</summary>
    public IReadOnlyList<PrinterColumn> PrinterColumns { get; init; } = [];
    /// <summary>Built-in kinds get strategic merge patch; CRDs do not (as on a real server).</summary>
    public bool BuiltIn { get; init; }

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
    public string ListKind => Kind + "List";

    public static readonly IReadOnlyList<string> DefaultVerbs =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
