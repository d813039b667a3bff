using System.Globalization;
using System.Text;

namespace Runai.Exporter.Tests.Support;

/// <summary>One sample read back from an exposition.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.TryGetValue(name, out var v) ? v : "";
}

/// <summary>
/// A strict reader of the Prometheus text format (and OpenMetrics' gauge subset), written for the tests: it fails on
/// anything a scraper would reject (bad escapes, a family's samples split apart, HELP/TYPE after samples), so
/// tests can assert on what a scraper would see.
/// </summary>
internal sealed class Exposition
{
    private Exposition(List<Sample> samples, Dictionary<string, string> help, Dictionary<string, string> types, bool eof)
    {
        Samples = samples;
        Help = help;
        Types = types;
        HasEof = eof;
    }

    public IReadOnlyList<Sample> Samples { get; }

    public IReadOnlyDictionary<string, string> Help { get; }

    public IReadOnlyDictionary<string, string> Types { get; }

    public bool HasEof { get; }

    public IEnumerable<Sample> Of(string name) => Samples.Where(s => s.Name == name);

    /// <summary>The one sample of <paramref name="name"/> whose labels include every pair given.</summary>
    public Sample? Find(string name, params (string Label, string Value)[] labels) =>
        Of(name).SingleOrDefault(s => labels.All(l => s.Label(l.Label) == l.Value));

    public double Value(string name, params (string Label, string Value)[] labels) =>
        Find(name, labels)?.Value ?? throw new Xunit.Sdk.XunitException($"no sample {name}{{{string.Join(",", labels.Select(l => $"{l.Label}=\"{l.Value}\""))}}}");

    public static Exposition Parse(string text)
    {
        var samples = new List<Sample>();
        var help = new Dictionary<string, string>(StringComparer.Ordinal);
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var eof = false;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            if (line.Length == 0) continue;
            if (eof) throw new FormatException($"line {n + 1}: text after # EOF");
            if (line == "# EOF")
            {
                eof = true;
                continue;
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ', 2);
                var family = parts[0];
                if (current != family)
                {
                    if (current is not null) finished.Add(current);
                    if (finished.Contains(family)) throw new FormatException($"line {n + 1}: family {family} appears twice");
                    current = family;
                }

                (line[2] == 'H' ? help : types)[family] = parts.Length > 1 ? parts[1] : "";
                continue;
            }

            if (line.StartsWith('#')) continue;
            var sample = ParseSample(line, n + 1);
            var owner = FamilyOf(sample.Name, types);
            if (owner != current)
            {
                if (current is not null) finished.Add(current);
                if (finished.Contains(owner)) throw new FormatException($"line {n + 1}: sample of {owner} after its family ended");
                current = owner;
            }

            samples.Add(sample);
        }

        var duplicates = samples.GroupBy(s => s.Name + "{" + string.Join(",", s.Labels.OrderBy(l => l.Key).Select(l => l.Key + "=" + l.Value)) + "}")
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicates is not null) throw new FormatException($"duplicate series {duplicates.Key}");
        return new Exposition(samples, help, types, eof);
    }

    private static string FamilyOf(string sample, Dictionary<string, string> types)
    {
        if (types.ContainsKey(sample)) return sample;
        foreach (var suffix in new[] { "_total", "_bucket", "_sum", "_count", "_created", "_info" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.ContainsKey(sample[..^suffix.Length])) return sample[..^suffix.Length];
        }

        return sample;
    }

    private static Sample ParseSample(string line, int number)
    {
        var i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ') i++;
        var name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var label = line[i..eq];
                if (line[eq + 1] != '"') throw new FormatException($"line {number}: label {label} has no quoted value");
                var value = new StringBuilder();
                var j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"line {number}: bad escape \\{line[j]}"),
                        });
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                }

                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"line {number}: label {label} twice");
                i = j + 1;
                if (line[i] == ',') i++;
            }

            i++;
        }

        if (line[i] != ' ') throw new FormatException($"line {number}: no space before the value: {line}");
        var valueText = line[(i + 1)..].Split(' ')[0];
        var parsed = valueText switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new Sample(name, labels, parsed);
    }
}
