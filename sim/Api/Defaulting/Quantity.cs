using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Defaulting;

/// <summary>Kubernetes resource quantities ("500m", "1Gi", "2", "1e3") compared by value.</summary>
internal static class Quantity
{
    static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1e3m), ("M", 1e6m), ("G", 1e9m),
        ("T", 1e12m), ("P", 1e15m), ("E", 1e18m),
    ];

    public static bool TryParse(string text, out decimal value)
    {
        value = 0;
        text = text.Trim();
        foreach (var (suffix, factor) in Suffixes)
            if (text.EndsWith(suffix, StringComparison.Ordinal)
                && decimal.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                value = number * factor;
                return true;
            }
        return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Whether two quantity nodes (strings or numbers) denote the same amount; unparsable ones compare as text.</summary>
    public static bool Equal(JsonNode a, JsonNode b)
    {
        var (ta, tb) = (Text(a), Text(b));
        return TryParse(ta, out var va) && TryParse(tb, out var vb) ? va == vb : ta == tb;
    }

    static string Text(JsonNode node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();
}
