using System.Text;

namespace Runai.Cli.Views;

/// <summary>
/// Columns padded with spaces, no borders, as <c>kubectl get</c> prints them: each column as wide as its widest cell
/// plus two spaces, the last one unpadded, so scripts can split on runs of spaces.
/// </summary>
internal static class TextTable
{
    public const string Gap = "  ";

    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { headers };
        all.AddRange(rows);
        var widths = new int[headers.Count];
        foreach (var row in all)
            for (var i = 0; i < headers.Count; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var text = new StringBuilder();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < headers.Count; i++)
            {
                if (i == headers.Count - 1) line.Append(row[i]);
                else line.Append(row[i].PadRight(widths[i])).Append(Gap);
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>An age as kubectl shows it: <c>45s</c>, <c>12m</c>, <c>5h</c>, <c>3d</c>; <c>-</c> when unknown.</summary>
    public static string Age(DateTime? since, DateTime now)
    {
        if (since is not { } start) return "-";
        var age = now - start.ToUniversalTime();
        if (age < TimeSpan.Zero) age = TimeSpan.Zero;
        return age.TotalSeconds < 120 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 120 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 48 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }
}
