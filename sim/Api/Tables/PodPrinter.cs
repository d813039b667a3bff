using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Api.Tables;

/// <summary>
/// The pod row kubectl shows: READY counts ready containers (sidecar init containers included), STATUS is the
/// most telling container reason (Init:…, ContainerCreating, CrashLoopBackOff, OOMKilled, Completed, Error,
/// Terminating…) and RESTARTS carries the time since the last restart, as the real server computes them.
/// </summary>
internal static class PodPrinter
{
    public static readonly KindPrinter Printer = new(
    [
        CommonColumns.Name,
        new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
        new("Status", "string", "The aggregate status of the containers in this pod."),
        new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
        CommonColumns.Age,
        new("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
        new("Node", "string", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.", 1),
        new("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
        new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
    ], Print);

    public static PrintedRow Print(JsonObject pod, DateTimeOffset now)
    {
        var spec = pod["spec"];
        var status = pod["status"];
        var phase = status.Str("phase");
        var reason = status.Str("reason").Length > 0 ? status.Str("reason") : phase;
        var conditions = status.Objects("conditions");
        if (conditions.Any(c => c.Str("type") == "PodScheduled" && c.Str("reason") == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        var initContainers = spec.Objects("initContainers");
        var sidecars = initContainers.Where(c => c.Str("restartPolicy") == "Always").Select(c => c.Str("name")).ToHashSet();
        var total = spec.Objects("containers").Count + sidecars.Count;
        var ready = 0;
        long restarts = 0;
        long sidecarRestarts = 0;
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastSidecarRestart = null;

        var initializing = false;
        var initStatuses = status.Objects("initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var c = initStatuses[i];
            var isSidecar = sidecars.Contains(c.Str("name"));
            restarts += c.Int("restartCount");
            var finished = LastTerminated(c);
            lastRestart = Later(lastRestart, finished);
            if (isSidecar)
            {
                sidecarRestarts += c.Int("restartCount");
                lastSidecarRestart = Later(lastSidecarRestart, finished);
            }

            var terminated = c.At("state", "terminated") as JsonObject;
            var waitingReason = c.Str("state", "waiting", "reason");
            if (terminated is not null && terminated.Int("exitCode") == 0)
            {
                continue;
            }

            if (isSidecar && c.Bool("started"))
            {
                ready += c.Bool("ready") ? 1 : 0;
                continue;
            }

            if (terminated is not null)
            {
                reason = terminated.Str("reason").Length > 0 ? "Init:" + terminated.Str("reason")
                    : terminated.Int("signal") != 0 ? Inv($"Init:Signal:{terminated.Int("signal")}")
                    : Inv($"Init:ExitCode:{terminated.Int("exitCode")}");
            }
            else if (waitingReason.Length > 0 && waitingReason != "PodInitializing")
            {
                reason = "Init:" + waitingReason;
            }
            else
            {
                reason = Inv($"Init:{i}/{initContainers.Count}");
            }

            initializing = true;
            break;
        }

        var initialized = conditions.Any(c => c.Str("type") == "Initialized" && c.Str("status") == "True");
        if (!initializing || initialized)
        {
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = status.Objects("containerStatuses");

            // Walked last to first so that the first container's reason wins, as on the real server.
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var c = statuses[i];
                restarts += c.Int("restartCount");
                lastRestart = Later(lastRestart, LastTerminated(c));
                var waitingReason = c.Str("state", "waiting", "reason");
                var terminated = c.At("state", "terminated") as JsonObject;
                if (waitingReason.Length > 0)
                {
                    reason = waitingReason;
                }
                else if (terminated is not null)
                {
                    reason = terminated.Str("reason").Length > 0 ? terminated.Str("reason")
                        : terminated.Int("signal") != 0 ? Inv($"Signal:{terminated.Int("signal")}")
                        : Inv($"ExitCode:{terminated.Int("exitCode")}");
                }
                else if (c.Bool("ready") && c.At("state", "running") is JsonObject)
                {
                    hasRunning = true;
                    ready++;
                }
            }

            if (reason == "Completed" && hasRunning)
            {
                reason = conditions.Any(c => c.Str("type") == "Ready" && c.Str("status") == "True") ? "Running" : "NotReady";
            }
        }

        var deleting = pod.At("metadata", "deletionTimestamp") is not null;
        if (deleting && status.Str("reason") == "NodeLost")
        {
            reason = "Unknown";
        }
        else if (deleting && phase is not ("Succeeded" or "Failed"))
        {
            reason = "Terminating";
        }

        var restartsText = restarts.ToString(CultureInfo.InvariantCulture);
        if (restarts != 0 && lastRestart is { } last)
        {
            restartsText = Inv($"{restarts} ({HumanDuration.Format(now - last)} ago)");
        }

        var podIp = status.Objects("podIPs").FirstOrDefault().Str("ip");
        if (podIp.Length == 0)
        {
            podIp = status.Str("podIP"); // a server always fills podIPs too; the simulation's kubelet may set only this
        }

        var readinessGates = "<none>";
        var gates = spec.Objects("readinessGates");
        if (gates.Count > 0)
        {
            var trueGates = gates.Count(g =>
                conditions.FirstOrDefault(c => c.Str("type") == g.Str("conditionType")) is { } cond && cond.Str("status") == "True");
            readinessGates = Inv($"{trueGates}/{gates.Count}");
        }

        JsonNode?[] cells =
        [
            pod.Str("metadata", "name"),
            Inv($"{ready}/{total}"),
            reason,
            restartsText,
            HumanDuration.Since(pod.Str("metadata", "creationTimestamp"), now),
            podIp.OrNone(),
            spec.Str("nodeName").OrNone(),
            status.Str("nominatedNodeName").OrNone(),
            readinessGates,
        ];
        return new PrintedRow(cells, phase switch
        {
            "Succeeded" => Completed("Succeeded", "The pod has completed successfully."),
            "Failed" => Completed("Failed", "The pod failed."),
            _ => null,
        });
    }

    private static JsonArray Completed(string reason, string message) =>
        [new JsonObject { ["type"] = "Completed", ["status"] = "True", ["reason"] = reason, ["message"] = message }];

    private static DateTimeOffset? LastTerminated(JsonObject containerStatus) =>
        HumanDuration.TryParseTime(containerStatus.Str("lastState", "terminated", "finishedAt"), out var t) ? t : null;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
