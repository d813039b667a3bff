using Microsoft.Extensions.Logging;

namespace Runai.Core.Hosting;

/// <summary>The outcome of reading the command line: options, a request for help, or one line saying what is wrong.</summary>
internal sealed record ParsedArguments(ComponentHostOptions? Options, string? Error, bool HelpRequested = false);

/// <summary>
/// Reads the component host's flags (<c>--flag value</c> or <c>--flag=value</c>). Pure: no environment, files or
/// network, so every rule is tested directly; the host turns an error into exit code 2.
/// </summary>
internal static class ComponentHostArguments
{
    public const string Usage = """
        usage: --component NAME [--kubeconfig PATH] [--listen ADDR:PORT] [--log-format text|json]
               [--log-level debug|info|warning|error] [--lease-namespace NS] [--lease-duration 15s]
               [--renew-deadline 10s] [--retry-period 2s] [--identity NAME]
        """;

    private static readonly string[] Flags =
    [
        "--component", "--kubeconfig", "--listen", "--log-format", "--log-level", "--lease-namespace",
        "--lease-duration", "--renew-deadline", "--retry-period", "--identity",
    ];

    /// <param name="componentFlags">Flags that belong to one component only (e.g. runai-admission's
    /// <c>--webhook-listen</c>); their values reach it as <see cref="ComponentHostOptions.Settings"/>.</param>
    public static ParsedArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> components,
        IReadOnlyDictionary<string, IReadOnlyCollection<string>>? componentFlags = null)
    {
        componentFlags ??= new Dictionary<string, IReadOnlyCollection<string>>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return new ParsedArguments(null, null, HelpRequested: true);
            }

            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                return Fail($"unexpected argument '{arg}' (flags start with --)");
            }

            if (!Flags.Contains(name) && !componentFlags.Values.Any(f => f.Contains(name)))
            {
                return Fail($"unknown flag {name}");
            }

            string value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                return Fail($"{name} needs a value");
            }

            if (!values.TryAdd(name, value))
            {
                return Fail($"{name} is given twice");
            }
        }

        var validList = string.Join(", ", components.Order(StringComparer.Ordinal));
        if (!values.TryGetValue("--component", out var component) || component.Length == 0)
        {
            return Fail($"--component is required (one of: {validList})");
        }

        if (!components.Contains(component))
        {
            return Fail($"unknown component '{component}' (one of: {validList})");
        }

        var ownFlags = componentFlags.GetValueOrDefault(component) ?? [];
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            if (Flags.Contains(name))
            {
                continue;
            }

            if (!ownFlags.Contains(name))
            {
                var owners = string.Join(", ", componentFlags.Where(kv => kv.Value.Contains(name)).Select(kv => kv.Key).Order(StringComparer.Ordinal));
                return Fail($"{name} is a flag of {owners}, not of {component}");
            }

            settings[name] = value;
        }

        var options = new ComponentHostOptions { Component = component, Settings = settings };

        if (values.TryGetValue("--kubeconfig", out var kubeconfig))
        {
            if (kubeconfig.Length == 0)
            {
                return Fail("--kubeconfig needs a path");
            }

            options = options with { Kubeconfig = kubeconfig };
        }

        if (values.TryGetValue("--listen", out var listen))
        {
            if (!ListenAddress.TryParse(listen, out var endpoint, out var error))
            {
                return Fail($"--listen: {error}");
            }

            options = options with { Listen = endpoint };
        }

        if (values.TryGetValue("--log-format", out var format))
        {
            LogFormat? parsed = format.ToLowerInvariant() switch
            {
                "text" => LogFormat.Text,
                "json" => LogFormat.Json,
                _ => null,
            };
            if (parsed is null)
            {
                return Fail($"--log-format: '{format}' is not text or json");
            }

            options = options with { LogFormat = parsed.Value };
        }

        if (values.TryGetValue("--log-level", out var level))
        {
            LogLevel? parsed = level.ToLowerInvariant() switch
            {
                "trace" or "verbose" => LogLevel.Trace,
                "debug" => LogLevel.Debug,
                "info" or "information" => LogLevel.Information,
                "warn" or "warning" => LogLevel.Warning,
                "error" => LogLevel.Error,
                _ => null,
            };
            if (parsed is null)
            {
                return Fail($"--log-level: '{level}' is not one of trace, debug, info, warning, error");
            }

            options = options with { LogLevel = parsed.Value };
        }

        if (values.TryGetValue("--lease-namespace", out var ns))
        {
            if (!KubeNames.IsDnsLabel(ns))
            {
                return Fail($"--lease-namespace: '{ns}' is not a namespace name (lower-case letters, digits and '-', at most 63)");
            }

            options = options with { LeaseNamespace = ns };
        }

        var lease = LeaseTimings.Default;
        foreach (var (flag, apply) in new (string, Func<LeaseTimings, TimeSpan, LeaseTimings>)[]
        {
            ("--lease-duration", (t, d) => t with { LeaseDuration = d }),
            ("--renew-deadline", (t, d) => t with { RenewDeadline = d }),
            ("--retry-period", (t, d) => t with { RetryPeriod = d }),
        })
        {
            if (!values.TryGetValue(flag, out var text))
            {
                continue;
            }

            if (!GoDuration.TryParse(text, out var duration, out var error))
            {
                return Fail($"{flag}: {error}");
            }

            if (duration <= TimeSpan.Zero)
            {
                return Fail($"{flag}: must be longer than zero, not {text}");
            }

            lease = apply(lease, duration);
        }

        if (TimingsError(lease) is { } timingError)
        {
            return Fail(timingError);
        }

        options = options with { Lease = lease };

        if (values.TryGetValue("--identity", out var identity))
        {
            if (string.IsNullOrWhiteSpace(identity))
            {
                return Fail("--identity needs a non-empty name");
            }

            options = options with { Identity = identity };
        }

        return new ParsedArguments(options, null);
    }

    /// <summary>The rules client-go enforces, so a lease never outlives the leader's own deadline.</summary>
    internal static string? TimingsError(LeaseTimings t)
    {
        if (t.LeaseDuration.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            return $"--lease-duration: the Lease stores whole seconds, not {t.LeaseDuration.TotalSeconds}s";
        }

        if (t.RenewDeadline >= t.LeaseDuration)
        {
            return $"--renew-deadline ({t.RenewDeadline.TotalSeconds}s) must be shorter than --lease-duration ({t.LeaseDuration.TotalSeconds}s)";
        }

        // The elector waits up to 1.2 retry periods between attempts; the deadline must leave room for one.
        if (t.RenewDeadline <= t.RetryPeriod * 1.2)
        {
            return $"--renew-deadline ({t.RenewDeadline.TotalSeconds}s) must be longer than 1.2 x --retry-period ({t.RetryPeriod.TotalSeconds}s)";
        }

        return null;
    }


    private static ParsedArguments Fail(string error) => new(null, error);
}
