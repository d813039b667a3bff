using System.Globalization;

namespace Runai.Sim.Kubelet;

/// <summary>Pure steps of turning a mapped image and a container spec into the process the kubelet starts.</summary>
internal static class ContainerCommand
{
    /// <summary>
    /// Why the command cannot run here (the image "cannot be pulled"), or null: its program must be on PATH or exist,
    /// and every absolute path among its words must exist (a component not built yet fails here, honestly).
    /// </summary>
    public static string? Unavailable(IReadOnlyList<string> command, Func<string, bool> exists, Func<string, string?> onPath)
    {
        if (command.Count == 0)
        {
            return "the image map gives no command";
        }

        var program = command[0];
        if (program.Contains('/') ? !exists(program) : onPath(program) is null)
        {
            return $"{program} not found";
        }

        foreach (var word in command.Skip(1))
        {
            if (word.StartsWith('/') && !exists(word))
            {
                return $"{word} does not exist (not built yet?)";
            }
        }

        return null;
    }

    /// <summary>
    /// Rewrites <c>--listen ADDR:PORT</c> and every <c>--*-listen</c> (or <c>--flag=ADDR:PORT</c>) to <c>127.0.0.1:REAL</c>, REAL from
    /// <paramref name="realPortFor"/> (given the asked port); answers the new arguments and asked → real ports.
    /// </summary>
    public static (IReadOnlyList<string> Args, IReadOnlyDictionary<int, int> Ports) RewriteListen(IReadOnlyList<string> args, Func<int, int> realPortFor)
    {
        var result = new List<string>(args.Count);
        var ports = new Dictionary<int, int>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (IsListenFlag(arg) && i + 1 < args.Count && AskedPort(args[i + 1]) is { } asked)
            {
                var real = ports[asked] = realPortFor(asked);
                result.Add(arg);
                result.Add(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{real}"));
                i++;
            }
            else if (eq > 0 && IsListenFlag(arg[..eq]) && AskedPort(arg[(eq + 1)..]) is { } asked2)
            {
                var real = ports[asked2] = realPortFor(asked2);
                result.Add(string.Create(CultureInfo.InvariantCulture, $"{arg[..eq]}=127.0.0.1:{real}"));
            }
            else
            {
                result.Add(arg);
            }
        }

        return (result, ports);
    }

    /// <summary><c>--listen</c> and the <c>--*-listen</c> flags of a component's other servers (e.g. <c>--webhook-listen</c>).</summary>
    private static bool IsListenFlag(string flag) =>
        flag == "--listen" || (flag.StartsWith("--", StringComparison.Ordinal) && flag.EndsWith("-listen", StringComparison.Ordinal));

    /// <summary>The port of ":8080", "0.0.0.0:8080", "[::]:8080" or "8080"; null when there is none.</summary>
    public static int? AskedPort(string address)
    {
        var colon = address.LastIndexOf(':');
        var text = colon >= 0 ? address[(colon + 1)..] : address;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? port : null;
    }

    /// <summary>Replaces the per-pod placeholders of an image map command.</summary>
    public static IReadOnlyList<string> Substitute(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> values) =>
        command.Select(w => values.Aggregate(w, (acc, kv) => acc.Replace("{" + kv.Key + "}", kv.Value, StringComparison.Ordinal))).ToList();
}
