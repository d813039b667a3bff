// Checks Grafana dashboard JSON for ./test.sh: `dotnet run scripts/check-dashboards.cs -- FILE...`.
// A .NET file-based app because a fresh machine has the SDK but no jq or python3 to parse JSON.
// Prints one line per dashboard, "PASS path (...)" or "FAIL path" followed by indented problems,
// and exits 1 when any failed.
//
// What it checks, and no more: the file is JSON; it has a non-empty "title" and a "panels" array;
// every query target (rows' nested panels included) has a non-empty "expr"; and every name an
// expression mentions is a metric of this product (runai_*, DCGM_*, up, or a recording rule named
// level:runai_…:op) or a PromQL function, aggregation or keyword. It does not parse PromQL fully.
using System.Text.Json;
using System.Text.RegularExpressions;

var failed = 0;
foreach (var path in args)
{
    var problems = new List<string>();
    var panels = 0;
    var queries = 0;
    try
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = false });
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the top level is not a JSON object");
        }
        else
        {
            if (!root.TryGetProperty("title", out var title) || title.ValueKind != JsonValueKind.String || title.GetString()!.Trim().Length == 0)
                problems.Add("missing a non-empty \"title\"");
            if (!root.TryGetProperty("panels", out var list) || list.ValueKind != JsonValueKind.Array)
                problems.Add("missing a \"panels\" array");
            else
                CheckPanels(list, "panels", problems, ref panels, ref queries);
        }
    }
    catch (JsonException e)
    {
        problems.Add($"not valid JSON: {e.Message}");
    }
    catch (IOException e)
    {
        problems.Add($"cannot read it: {e.Message}");
    }

    if (problems.Count == 0)
    {
        Console.WriteLine($"PASS {path} ({panels} panels, {queries} queries)");
    }
    else
    {
        failed++;
        Console.WriteLine($"FAIL {path}");
        foreach (var p in problems) Console.WriteLine($"    {p}");
    }
}
return failed == 0 ? 0 : 1;

static void CheckPanels(JsonElement list, string where, List<string> problems, ref int panels, ref int queries)
{
    var i = 0;
    foreach (var panel in list.EnumerateArray())
    {
        var here = $"{where}[{i++}]";
        if (panel.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{here} is not an object");
            continue;
        }
        panels++;
        if (panel.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Length > 0)
            here += $" \"{t.GetString()}\"";
        // Collapsed rows carry their panels inside them.
        if (panel.TryGetProperty("panels", out var nested) && nested.ValueKind == JsonValueKind.Array)
            CheckPanels(nested, here + ".panels", problems, ref panels, ref queries);
        if (!panel.TryGetProperty("targets", out var targets) || targets.ValueKind != JsonValueKind.Array)
            continue;
        var j = 0;
        foreach (var target in targets.EnumerateArray())
        {
            var at = $"{here}.targets[{j++}]";
            queries++;
            if (target.ValueKind != JsonValueKind.Object
                || !target.TryGetProperty("expr", out var expr)
                || expr.ValueKind != JsonValueKind.String
                || expr.GetString()!.Trim().Length == 0)
            {
                problems.Add($"{at} has no expr");
                continue;
            }
            foreach (var name in PromQl.UnknownNames(expr.GetString()!))
                problems.Add($"{at} mentions \"{name}\", which is neither a metric of this product nor a PromQL function: {expr.GetString()}");
        }
    }
}

internal static class PromQl
{
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        // functions
        "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time",
        "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month",
        "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "double_exponential_smoothing",
        "exp", "floor", "histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile",
        "histogram_stddev", "histogram_stdvar", "histogram_sum", "holt_winters", "hour", "idelta", "increase",
        "info", "irate", "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "mad_over_time",
        "max_over_time", "min_over_time", "minute", "month", "pi", "predict_linear", "present_over_time",
        "quantile_over_time", "rad", "rate", "resets", "round", "scalar", "sgn", "sin", "sinh", "sort",
        "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time",
        "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year",
        // aggregations
        "avg", "bottomk", "count", "count_values", "group", "limit_ratio", "limitk", "max", "min", "quantile",
        "stddev", "stdvar", "sum", "topk",
        // keywords and literals
        "and", "atan2", "bool", "by", "end", "group_left", "group_right", "ignoring", "inf", "nan", "offset",
        "on", "or", "start", "unless", "without",
    };

    private static readonly Regex GrafanaVariable = new(@"\$__\w+|\$\{[^}]*\}|\$\w+|\[\[[^\]]*\]\]", RegexOptions.Compiled);
    private static readonly Regex StringLiteral = new("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`", RegexOptions.Compiled);
    private static readonly Regex Braces = new(@"\{[^{}]*\}", RegexOptions.Compiled);
    private static readonly Regex Brackets = new(@"\[[^\[\]]*\]", RegexOptions.Compiled);
    private static readonly Regex LabelList = new(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.Compiled);
    private static readonly Regex Number = new(@"(?<![\w:])\d[\w.]*", RegexOptions.Compiled);
    private static readonly Regex Name = new(@"[A-Za-z_:][A-Za-z0-9_:]*", RegexOptions.Compiled);
    private static readonly Regex ProductMetric = new(@"^(?:[a-zA-Z_]\w*:)?(?:runai_|DCGM_)|^up$", RegexOptions.Compiled);

    /// <summary>Names in the expression that are neither product metrics nor PromQL vocabulary.</summary>
    public static IEnumerable<string> UnknownNames(string expr)
    {
        var s = GrafanaVariable.Replace(expr, " ");
        s = StringLiteral.Replace(s, " ");
        s = Braces.Replace(s, " ");        // label matchers: label names are not metrics
        s = Brackets.Replace(s, " ");      // ranges and subqueries
        s = LabelList.Replace(s, "$1 ");   // by (label, …) and friends
        s = Number.Replace(s, " ");        // 0.5, 1e3, 5m after offset
        return Name.Matches(s)
            .Select(m => m.Value)
            .Where(n => !Known.Contains(n) && !ProductMetric.IsMatch(n))
            .Distinct();
    }
}
