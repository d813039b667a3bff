using System.Globalization;
using System.Text.Json.Nodes;

namespace Runai.Sim.Cluster;

/// <summary>A ReplicaSet as a rollout sees it: its desired replicas and how many of its pods are available.</summary>
internal sealed record ReplicaSetCounts(string Name, int Replicas, int Available);

/// <summary>
/// The deployment controller's arithmetic, kept pure: how far a rolling update may scale the new ReplicaSet up and
/// the old ones down (maxSurge, maxUnavailable) and what Recreate does, one step per call. Calling it again after the
/// pods have moved on makes the next step, until the new ReplicaSet holds every replica.
/// </summary>
internal static class RolloutPlan
{
    /// <summary>
    /// Resolves an int-or-percent field against the replica count: surge rounds up, unavailability rounds down, as
    /// the deployment controller does; both zero would make no progress, so unavailability becomes 1.
    /// </summary>
    public static (int MaxSurge, int MaxUnavailable) Limits(JsonNode? maxSurge, JsonNode? maxUnavailable, int replicas)
    {
        var surge = Resolve(maxSurge, replicas, roundUp: true, "maxSurge");
        var unavailable = Resolve(maxUnavailable, replicas, roundUp: false, "maxUnavailable");
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, unavailable);
    }

    public static int Resolve(JsonNode? value, int replicas, bool roundUp, string field)
    {
        if (value is null)
        {
            // The API defaults both to 25%.
            return Resolve(JsonValue.Create("25%"), replicas, roundUp, field);
        }

        if (value is JsonValue v && v.TryGetValue<int>(out var n))
        {
            return n >= 0 ? n : throw new FormatException($"{field} {n} is negative");
        }

        var text = value.ToString();
        if (text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            var exact = replicas * percent / 100.0;
            return (int)(roundUp ? Math.Ceiling(exact) : Math.Floor(exact));
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out n))
        {
            return n;
        }

        throw new FormatException($"{field} \"{text}\" is neither a number nor a percentage");
    }

    /// <summary>One rolling-update step: the replicas to set on the new ReplicaSet and on each old one (by name).</summary>
    public static (int NewReplicas, IReadOnlyDictionary<string, int> Old) RollingStep(
        int desired, int maxSurge, int maxUnavailable, ReplicaSetCounts newRs, IReadOnlyList<ReplicaSetCounts> oldestFirst)
    {
        var old = oldestFirst.ToDictionary(r => r.Name, r => r.Replicas, StringComparer.Ordinal);
        var newReplicas = newRs.Replicas;

        // Scale the new ReplicaSet up as far as the surge allows (or straight down when it has too many).
        if (newReplicas > desired)
        {
            newReplicas = desired;
        }
        else if (newReplicas < desired)
        {
            var total = newReplicas + old.Values.Sum();
            var room = desired + maxSurge - total;
            if (room > 0)
            {
                newReplicas = Math.Min(desired, newReplicas + room);
            }
        }

        // Scale the old ones down while at least desired - maxUnavailable pods stay available.
        var minAvailable = desired - maxUnavailable;
        var allPods = newReplicas + old.Values.Sum();
        var newUnavailable = Math.Max(0, newReplicas - newRs.Available);
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return (newReplicas, old);
        }

        // First the old pods that are not available anyway: removing them costs no availability.
        var scaledDown = 0;
        foreach (var rs in oldestFirst)
        {
            if (scaledDown >= maxScaledDown) break;
            var unhealthy = old[rs.Name] - Math.Min(rs.Available, old[rs.Name]);
            var cut = Math.Min(unhealthy, maxScaledDown - scaledDown);
            old[rs.Name] -= cut;
            scaledDown += cut;
        }

        // Then available old pods, down to the minimum availability.
        var available = newRs.Available + oldestFirst.Sum(r => Math.Min(r.Available, old[r.Name]));
        var budget = Math.Min(available - minAvailable, maxScaledDown - scaledDown);
        foreach (var rs in oldestFirst)
        {
            if (budget <= 0) break;
            var cut = Math.Min(old[rs.Name], budget);
            old[rs.Name] -= cut;
            budget -= cut;
        }

        return (newReplicas, old);
    }

    /// <summary>Recreate: every old pod goes first; the new ReplicaSet scales up once none is left.</summary>
    public static (int NewReplicas, IReadOnlyDictionary<string, int> Old) RecreateStep(
        int desired, IReadOnlyList<ReplicaSetCounts> oldestFirst, int oldPodsRunning)
    {
        var old = oldestFirst.ToDictionary(r => r.Name, _ => 0, StringComparer.Ordinal);
        return (oldPodsRunning > 0 ? 0 : desired, old);
    }
}
