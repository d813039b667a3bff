using System.Globalization;
using System.Net;

namespace Runai.NodeDaemon.Hosting;

/// <summary>runai-node-exporter's settings, from its command line (flags win over the environment).</summary>
internal sealed record DaemonOptions
{
    public const string Usage = """
        usage: runai-node-exporter --node NAME [options]
          --node NAME                  this node (default: $NODE_NAME)
          --listen ADDR:PORT           metrics endpoint (default 0.0.0.0:9500; :PORT for every interface)
          --interval DURATION          sampling period (default 1s; 500ms, 2s, 1m)
          --nvml-library PATH          libnvidia-ml.so.1 or its directory (default: $RUNAI_NVML_LIBRARY, else the loader's search path)
          --dcgm-url URL               dcgm-exporter /metrics to read when NVML is unusable (default: $RUNAI_DCGM_EXPORTER_URL; none)
          --pod-resources-socket PATH  kubelet pod-resources socket (default /var/lib/kubelet/pod-resources/kubelet.sock)
          --attribution-interval DUR   how often GPU holders are read from the kubelet (default 5s)
          --kubeconfig PATH            API credentials (default: $KUBECONFIG, else the pod's service account)
          --dcgm-names                 also serve the DCGM_FI_DEV_* names of dcgm-exporter
          --no-node-labels             do not keep the node's nvidia.com/gpu.* labels
          --log-level info|debug
        """;

    public required string Node { get; init; }
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 9500);
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);
    public string? NvmlLibrary { get; init; }
    public Uri? DcgmUrl { get; init; }
    public string PodResourcesSocket { get; init; } = "/var/lib/kubelet/pod-resources/kubelet.sock";
    public TimeSpan AttributionInterval { get; init; } = TimeSpan.FromSeconds(5);
    public string? Kubeconfig { get; init; }
    public bool DcgmNames { get; init; }
    public bool NodeLabels { get; init; } = true;
    public bool Debug { get; init; }

    /// <summary>Parses the command line; null with the problem on bad input.</summary>
    public static DaemonOptions? Parse(IReadOnlyList<string> args, Func<string, string?> env, out string problem)
    {
        problem = "";
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var switches = new HashSet<string>(StringComparer.Ordinal);
        string[] valued = ["--node", "--listen", "--interval", "--nvml-library", "--dcgm-url", "--pod-resources-socket", "--attribution-interval", "--kubeconfig", "--log-level"];
        string[] flags = ["--dcgm-names", "--no-node-labels"];
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            if (flags.Contains(name) && eq < 0)
            {
                switches.Add(name);
            }
            else if (valued.Contains(name))
            {
                if (eq > 0) values[name] = arg[(eq + 1)..];
                else if (i + 1 < args.Count) values[name] = args[++i];
                else return Fail($"{name} needs a value", out problem);
            }
            else
            {
                return Fail($"unknown argument '{arg}'", out problem);
            }
        }

        var node = values.GetValueOrDefault("--node") ?? env("NODE_NAME");
        if (string.IsNullOrWhiteSpace(node)) return Fail("--node is required (or set NODE_NAME from the pod's spec.nodeName)", out problem);

        var options = new DaemonOptions
        {
            Node = node,
            NvmlLibrary = values.GetValueOrDefault("--nvml-library") ?? NonEmpty(env("RUNAI_NVML_LIBRARY")),
            Kubeconfig = values.GetValueOrDefault("--kubeconfig"),
            DcgmNames = switches.Contains("--dcgm-names"),
            NodeLabels = !switches.Contains("--no-node-labels"),
        };
        if (values.TryGetValue("--pod-resources-socket", out var socket)) options = options with { PodResourcesSocket = socket };
        if (values.TryGetValue("--listen", out var listen))
        {
            if (!TryParseListen(listen, out var endpoint)) return Fail($"--listen '{listen}' is not ADDR:PORT or :PORT", out problem);
            options = options with { Listen = endpoint };
        }
        if (values.TryGetValue("--interval", out var interval))
        {
            if (!TryParseDuration(interval, out var d) || d < TimeSpan.FromMilliseconds(100)) return Fail($"--interval '{interval}' is not a duration of at least 100ms", out problem);
            options = options with { Interval = d };
        }
        if (values.TryGetValue("--attribution-interval", out var ai))
        {
            if (!TryParseDuration(ai, out var d) || d < TimeSpan.FromMilliseconds(100)) return Fail($"--attribution-interval '{ai}' is not a duration of at least 100ms", out problem);
            options = options with { AttributionInterval = d };
        }
        var dcgm = values.GetValueOrDefault("--dcgm-url") ?? NonEmpty(env("RUNAI_DCGM_EXPORTER_URL"));
        if (dcgm is not null)
        {
            if (!Uri.TryCreate(dcgm, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")) return Fail($"--dcgm-url '{dcgm}' is not an http(s) URL", out problem);
            options = options with { DcgmUrl = url };
        }
        switch (values.GetValueOrDefault("--log-level") ?? "info")
        {
            case "info": break;
            case "debug": options = options with { Debug = true }; break;
            case var other: return Fail($"--log-level '{other}' is not info or debug", out problem);
        }
        return options;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static DaemonOptions? Fail(string message, out string problem)
    {
        problem = message;
        return null;
    }

    public static bool TryParseListen(string text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Any, 0);
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535) return false;
        var host = text[..colon].Trim('[', ']');
        var address = IPAddress.Any;
        if (host.Length > 0 && !IPAddress.TryParse(host, out address!)) return false;
        endpoint = new IPEndPoint(address, port);
        return true;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        (string unit, double scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (unit, scale) in units)
        {
            if (!text.EndsWith(unit, StringComparison.Ordinal)) continue;
            // "ms" also ends in "s", "m" is tried after "ms": the first match that parses wins.
            if (double.TryParse(text.AsSpan(0, text.Length - unit.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0)
            {
                duration = TimeSpan.FromSeconds(v * scale);
                return true;
            }
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return false;
    }
}
