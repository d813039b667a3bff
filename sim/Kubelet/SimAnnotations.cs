using System.Globalization;
using k8s.Models;

namespace Runai.Sim.Kubelet;

/// <summary>
/// Pod annotations only the simulation reads: they stand in for what the container's process would do.
/// A pod with none of them runs until it is deleted. Values are strings, seconds may be fractional.
/// The MPI operator stand-in copies them from an MPIJob's templates to its pods like any other annotation.
/// </summary>
internal static class SimAnnotations
{
    /// <summary>Seconds the container runs before its process exits (with <see cref="ExitCode"/>). Absent: runs until deleted.</summary>
    public const string RunSeconds = "sim.run.ai/run-seconds";
    /// <summary>Exit code of the process when <see cref="RunSeconds"/> elapses, 0–255; default 0.</summary>
    public const string ExitCode = "sim.run.ai/exit-code";
    /// <summary>Seconds after start at which the container is OOM-killed (exit 137, reason OOMKilled); wins over run-seconds when earlier.</summary>
    public const string OomAfterSeconds = "sim.run.ai/oom-after-seconds";
    /// <summary>Seconds the containers stay in ContainerCreating after the kubelet admits the pod; default 1.</summary>
    public const string StartDelaySeconds = "sim.run.ai/start-delay-seconds";

    public static readonly IReadOnlyList<string> All = [RunSeconds, ExitCode, OomAfterSeconds, StartDelaySeconds];
}

/// <summary>What a simulated pod's containers do, read from <see cref="SimAnnotations"/>.</summary>
internal sealed record PodBehaviour(TimeSpan? RunFor, int ExitCode, TimeSpan? OomAfter, TimeSpan StartDelay)
{
    public static readonly TimeSpan DefaultStartDelay = TimeSpan.FromSeconds(1);
    public static readonly PodBehaviour RunsUntilDeleted = new(null, 0, null, DefaultStartDelay);

    /// <summary>Reads the behaviour; a malformed value is an error naming the annotation and the value.</summary>
    public static PodBehaviour Read(V1Pod pod)
    {
        var annotations = pod.Metadata?.Annotations;
        if (annotations is null) return RunsUntilDeleted;
        return new PodBehaviour(
            Seconds(annotations, SimAnnotations.RunSeconds),
            ExitCodeOf(annotations),
            Seconds(annotations, SimAnnotations.OomAfterSeconds),
            Seconds(annotations, SimAnnotations.StartDelaySeconds) ?? DefaultStartDelay);
    }

    private static TimeSpan? Seconds(IDictionary<string, string> annotations, string key)
    {
        if (!annotations.TryGetValue(key, out var text)) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0 || double.IsInfinity(seconds) || seconds > 10_000_000)
        {
            throw new FormatException($"annotation {key}=\"{text}\" is not a number of seconds (≥ 0)");
        }
        return TimeSpan.FromSeconds(seconds);
    }

    private static int ExitCodeOf(IDictionary<string, string> annotations)
    {
        if (!annotations.TryGetValue(SimAnnotations.ExitCode, out var text)) return 0;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) || code is < 0 or > 255)
        {
            throw new FormatException($"annotation {SimAnnotations.ExitCode}=\"{text}\" is not an exit code (0–255)");
        }
        return code;
    }
}
