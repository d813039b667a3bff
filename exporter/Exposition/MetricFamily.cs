using System.Text;

namespace Runai.Exporter.Exposition;

/// <summary>
/// One gauge family of the exposition: its name and HELP text (which states the unit). Every family here is a gauge:
/// the series describe state, and state sets are gauges with one series per state.
/// </summary>
internal sealed class MetricFamily
{
    public MetricFamily(string name, string help, bool timed = false)
    {
        if (!IsValidName(name)) throw new ArgumentException($"'{name}' is not a valid metric name", nameof(name));
        Name = name;
        Help = help;
        Timed = timed;
        Header = Encoding.UTF8.GetBytes($"# HELP {name} {EscapeHelp(help)}\n# TYPE {name} gauge\n");
    }

    public string Name { get; }

    public string Help { get; }

    /// <summary>True when its values grow with the clock (seconds since…): the value is formatted at scrape time.</summary>
    public bool Timed { get; }

    /// <summary>The HELP and TYPE lines, the same in both formats.</summary>
    public byte[] Header { get; }

    public override string ToString() => Name;

    private static string EscapeHelp(string help) => help.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    private static bool IsValidName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');
}
