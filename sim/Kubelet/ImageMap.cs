using System.Text;

namespace Runai.Sim.Kubelet;

/// <summary>
/// Which container images the simulated kubelet runs as real local processes, and with what command (the image's
/// entrypoint; the container's <c>args</c> are appended). Entries are <c>IMAGE=COMMAND</c>; a file holds one per line,
/// <c>#</c> starts a comment. COMMAND is split into words like a shell would (single and double quotes, backslash),
/// without expansion; <c>{node}</c>, <c>{namespace}</c>, <c>{pod}</c>, <c>{podResourcesSocket}</c> and <c>{nvmlDevices}</c> (the node's GPU file for the NVML test library) are replaced per pod.
/// Images not in the map are simulated from the pod's <c>sim.run.ai/*</c> annotations as before.
/// </summary>
internal sealed class ImageMap
{
    private readonly Dictionary<string, IReadOnlyList<string>> _commands;

    private ImageMap(Dictionary<string, IReadOnlyList<string>> commands) => _commands = commands;

    public static readonly ImageMap Empty = new(new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal));

    public IReadOnlyCollection<string> Images => _commands.Keys;

    public bool IsEmpty => _commands.Count == 0;

    public IReadOnlyList<string>? CommandFor(string? image) =>
        image is not null && _commands.TryGetValue(image, out var command) ? command : null;

    /// <summary>Parses <c>IMAGE=COMMAND</c> entries; later entries for the same image win.</summary>
    public static ImageMap Parse(IEnumerable<string> entries, string source = "--image")
    {
        var commands = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var eq = entry.IndexOf('=');
            if (eq <= 0)
            {
                throw new FormatException($"{source}: \"{entry}\" is not IMAGE=COMMAND");
            }

            var image = entry[..eq].Trim();
            if (image.Length == 0 || image.Any(char.IsWhiteSpace))
            {
                throw new FormatException($"{source}: \"{image}\" is not an image name");
            }

            var words = SplitWords(entry[(eq + 1)..], source);
            if (words.Count == 0)
            {
                throw new FormatException($"{source}: image {image} has an empty command");
            }

            commands[image] = words;
        }

        return new ImageMap(commands);
    }

    /// <summary>Reads a map file (one entry per line, blank lines and # comments skipped).</summary>
    public static ImageMap Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"image map {path} does not exist", path);
        }

        var lines = File.ReadAllLines(path)
            .Select((l, i) => (Line: l.Trim(), Number: i + 1))
            .Where(l => l.Line.Length > 0 && !l.Line.StartsWith('#'));
        var entries = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (line, number) in lines)
        {
            foreach (var (image, command) in Parse([line], $"{path}:{number}")._commands)
            {
                entries[image] = command;
            }
        }

        return new ImageMap(entries);
    }

    /// <summary>This map with <paramref name="other"/>'s entries added (they win on the same image).</summary>
    public ImageMap With(ImageMap other)
    {
        var merged = new Dictionary<string, IReadOnlyList<string>>(_commands, StringComparer.Ordinal);
        foreach (var (image, command) in other._commands)
        {
            merged[image] = command;
        }

        return new ImageMap(merged);
    }

    /// <summary>Shell-like word splitting: whitespace separates, quotes group, backslash escapes (not inside single quotes).</summary>
    public static IReadOnlyList<string> SplitWords(string text, string source = "command")
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is '\'')
            {
                if (c == '\'') quote = null;
                else word.Append(c);
                continue;
            }

            if (c == '\\' && i + 1 < text.Length && (quote is null || text[i + 1] is '"' or '\\'))
            {
                word.Append(text[++i]);
                inWord = true;
                continue;
            }

            if (quote is '"')
            {
                if (c == '"') quote = null;
                else word.Append(c);
                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (quote is not null)
        {
            throw new FormatException($"{source}: unterminated {quote} quote in \"{text}\"");
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
