using System.Globalization;
using System.Text;
using Prometheus;

namespace Runai.Bench.Exporter;

/// <summary>
/// The reference: the same workload, project, node and control-plane series held in a bare prometheus-net registry
/// (one labelled gauge per family), which is what a straightforward exporter built on the library would do.
/// </summary>
internal static class BareRegistry
{
    /// <summary>A registry holding every <c>runai_</c> series of <paramref name="exposition"/> except the exporter's own health.</summary>
    public static (CollectorRegistry Registry, int Series) From(string exposition)
    {
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var gauges = new Dictionary<string, Gauge>(StringComparer.Ordinal);
        var series = 0;
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ', 2);
                help[parts[0]] = parts.Length > 1 ? parts[1] : "";
                continue;
            }

            if (line.Length == 0 || line[0] == '#' || !line.StartsWith("runai_", StringComparison.Ordinal)
                || line.StartsWith("runai_exporter_", StringComparison.Ordinal) || line.StartsWith("runai_controller_", StringComparison.Ordinal))
                continue;
            var (name, labels, value) = Parse(line);
            if (!gauges.TryGetValue(name, out var gauge))
            {
                gauge = factory.CreateGauge(name, help.GetValueOrDefault(name, name), labels.Select(l => l.Name).ToArray());
                gauges[name] = gauge;
            }

            gauge.WithLabels(labels.Select(l => l.Value).ToArray()).Set(value);
            series++;
        }

        return (registry, series);
    }

    private static (string Name, List<(string Name, string Value)> Labels, double Value) Parse(string line)
    {
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var labels = new List<(string, string)>();
        int end;
        string name;
        if (brace < 0)
        {
            end = line.IndexOf(' ', StringComparison.Ordinal);
            name = line[..end];
        }
        else
        {
            name = line[..brace];
            var i = brace + 1;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq];
                var value = new StringBuilder();
                var j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                labels.Add((label, value.ToString()));
                i = j + 1;
                if (line[i] == ',') i++;
            }

            end = i + 1;
        }

        return (name, labels, double.Parse(line[(end + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
