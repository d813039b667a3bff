using System.Globalization;

namespace Runai.Core.Scheduling;

public sealed partial class SchedulingCycle
{
    private Dictionary<int, long>[]? _displaceable;

    /// <summary>GPUs held by preemptible work of project <paramref name="p"/> with priority below <paramref name="priority"/>.</summary>
    private long DisplaceableBelow(int p, int priority)
    {
        if (_displaceable is null)
        {
            _displaceable = new Dictionary<int, long>[_state.Projects.Count];
            for (var i = 0; i < _displaceable.Length; i++) _displaceable[i] = [];
            for (var b = 0; b < _snapshot.Bound.Count; b++)
            {
                var pod = _snapshot.Bound[b];
                if (_state.BoundDevices[b] == -2 || !pod.Preemptible || pod.Project is null) continue;
                if (!_state.ProjectIndex.TryGetValue(pod.Project, out var project)) continue;
                var milli = (long)pod.Demand.Gpus * GpuMilli.PerDevice + _state.BoundSharedMilli[b];
                _displaceable[project][pod.Priority] = _displaceable[project].GetValueOrDefault(pod.Priority) + milli;
            }
        }

        long sum = 0;
        foreach (var (pr, milli) in _displaceable[p])
        {
            if (pr < priority) sum += milli;
        }

        return sum;
    }

    /// <summary>
    /// The evictions that would let gangs blocked for room in <see cref="Run"/> in, at most
    /// <paramref name="maxPreemptors"/> of them and <paramref name="maxVictimsPerPreemptor"/> victims each: for a gang within its project's quota, preemptible workloads of
    /// projects over their quota (those that stay at or above quota first, then furthest above their fair share,
    /// lowest priority, newest); for any gang, preemptible workloads of its own project with lower priority (lowest,
    /// newest first). Victims are taken whole, only as many as needed, and only when the gang then fits; a
    /// non-preemptible workload is never chosen.
    /// </summary>
    public IReadOnlyList<Preemption> PlanPreemptions(int maxPreemptors = 8, int maxVictimsPerPreemptor = 32)
    {
        Run();
        var running = RunningWorkloads();
        var demand = new long[_state.Projects.Count];
        for (var p = 0; p < demand.Length; p++) demand[p] = _state.Allocated(p);
        foreach (var job in _blocked) demand[job.Project] += MilliOf(job.Gang);
        var fair = FairShare.Compute(_state.Projects, demand, _state.TotalMilli);

        // One order for the whole pass: furthest above fair share first, then lowest priority, newest. Whether a
        // victim's project is still over quota is checked as victims are taken.
        var reclaimable = running.Where(r => r.Preemptible && r.Milli > 0 && r.Project >= 0 && _state.Allocated(r.Project) > _state.Projects[r.Project].QuotaMilli).ToList();
        reclaimable.Sort((a, b) =>
        {
            var c = (_state.Allocated(b.Project) - fair[b.Project]).CompareTo(_state.Allocated(a.Project) - fair[a.Project]);
            if (c != 0) return c;
            c = a.Priority.CompareTo(b.Priority);
            if (c != 0) return c;
            c = b.Order.CompareTo(a.Order);
            return c != 0 ? c : string.CompareOrdinal(a.Key, b.Key);
        });
        var byProject = running.Where(r => r.Preemptible && r.Milli > 0 && r.Project >= 0).GroupBy(r => r.Project)
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.Priority).ThenByDescending(r => r.Order).ThenBy(r => r.Key, StringComparer.Ordinal).ToList());

        var plans = new List<Preemption>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var preemptors = 0;
        var attempts = 0;
        // The scheduler holds lower-priority gangs behind a blocked higher-priority one of their project, so making
        // room for them first would only hand it to someone else.
        var stillBlocked = new int[_state.Projects.Count];
        Array.Fill(stillBlocked, int.MinValue);
        foreach (var job in _blocked)
        {
            if (preemptors >= maxPreemptors || attempts >= 4 * maxPreemptors) break;
            var need = MilliOf(job.Gang);
            var p = job.Project;
            // A gang with members still missing could not start anyway: nothing is evicted for it.
            if (stillBlocked[p] > job.W.Priority || job.Incomplete) continue;
            var project = _state.Projects[p];
            var inQuota = _state.Allocated(p) + need <= project.QuotaMilli;
            // A shared device comes free only when all its sharers leave: for a gang of whole GPUs, evicting
            // fractional work rarely makes room, so only workloads holding whole devices are taken.
            var wholeOnly = Array.TrueForAll(job.Gang, g => !g.IsShared);
            var candidates = new List<(RunningWorkload W, PreemptionKind Kind)>();
            if (inQuota)
            {
                // Those that leave their project at or above its quota first.
                foreach (var keep in (bool[])[true, false])
                {
                    foreach (var r in reclaimable)
                    {
                        if (r.Project == p || used.Contains(r.Key) || (wholeOnly && r.WholeGpus == 0)) continue;
                        var keepsQuota = _state.Allocated(r.Project) - r.Milli >= _state.Projects[r.Project].QuotaMilli;
                        if (keepsQuota == keep && OnPools(r, job)) candidates.Add((r, PreemptionKind.Reclaim));
                    }
                }
            }

            foreach (var r in byProject.GetValueOrDefault(p) ?? [])
            {
                if (r.Priority < job.W.Priority && !used.Contains(r.Key) && !(wholeOnly && r.WholeGpus == 0) && OnPools(r, job)) candidates.Add((r, PreemptionKind.Priority));
            }

            if (candidates.Count == 0)
            {
                stillBlocked[p] = Math.Max(stillBlocked[p], job.W.Priority);
                continue;
            }

            attempts++;
            var mark = _state.JournalPosition;
            var victims = new List<(RunningWorkload W, PreemptionKind Kind)>();
            var placed = false;
            foreach (var (victim, kind) in candidates)
            {
                if (victims.Count >= maxVictimsPerPreemptor) break;
                // An earlier victim may have brought the victim's project down to its quota: then it is not over quota any more.
                if (kind == PreemptionKind.Reclaim && _state.Allocated(victim.Project) <= _state.Projects[victim.Project].QuotaMilli) continue;
                Release(victim);
                victims.Add((victim, kind));
                // Placing is the costly step: try only once enough GPUs are free and the quota rules allow it.
                if (Idle(job) < need || QuotaProblem(job, need, strict: true) is not null) continue;
                var assigned = new List<Assignment>(job.Gang.Length);
                if (TryPlaceWithinQuota(job, job.Gang, assigned, out _))
                {
                    placed = true;
                    break;
                }
            }

            if (!placed)
            {
                _state.RollbackTo(mark);
                stillBlocked[p] = Math.Max(stillBlocked[p], job.W.Priority);
                continue;
            }

            preemptors++;
            foreach (var (victim, kind) in victims)
            {
                used.Add(victim.Key);
                var victimProject = _state.Projects[victim.Project];
                var message = kind == PreemptionKind.Reclaim
                    ? string.Create(CultureInfo.InvariantCulture,
                        $"reclaimed for {job.W.Key} of project {project.Name}, which needs {GpuMilli.Format(need)} GPUs within its quota of {GpuMilli.Format(project.QuotaMilli)}; project {victimProject.Name} held {GpuMilli.Format(victim.ProjectHeldAtStart)} GPUs, over its quota of {GpuMilli.Format(victimProject.QuotaMilli)} and its fair share of {GpuMilli.Format((long)fair[victim.Project])}")
                    : string.Create(CultureInfo.InvariantCulture,
                        $"preempted by {job.W.Key} of project {project.Name}, priority {job.W.Priority} above its {victim.Priority}, which needs {GpuMilli.Format(need)} GPUs");
                plans.Add(new Preemption(victim.Key, victimProject.Name, victim.Pods, victim.Milli, job.W.Key, project.Name, kind, message));
            }
        }

        return plans;
    }

    private bool OnPools(RunningWorkload r, Job job)
    {
        foreach (var pool in job.PoolIndexes)
        {
            if (pool == ClusterState.AllPools) return true;
            foreach (var node in r.Nodes)
            {
                if (_state.PoolOf(node) == pool) return true;
            }
        }

        return false;
    }

    private void Release(RunningWorkload r)
    {
        foreach (var b in r.BoundIndexes)
        {
            var pod = _snapshot.Bound[b];
            _state.Apply(pod.Node, pod.Demand, _state.BoundDevices[b], _state.BoundSharedMilli[b], r.Project, !pod.Preemptible, -1);
        }
    }

    private List<RunningWorkload> RunningWorkloads()
    {
        var byKey = new Dictionary<string, RunningWorkload>(StringComparer.Ordinal);
        for (var b = 0; b < _snapshot.Bound.Count; b++)
        {
            var pod = _snapshot.Bound[b];
            if (_state.BoundDevices[b] == -2 || pod.Releasing) continue;
            if (!byKey.TryGetValue(pod.Workload, out var r))
            {
                var project = pod.Project is not null && _state.ProjectIndex.TryGetValue(pod.Project, out var pi) ? pi : -1;
                byKey[pod.Workload] = r = new RunningWorkload(pod.Workload, project, pod.Priority, pod.Order, project >= 0 ? _state.Allocated(project) : 0);
            }

            // A workload is preemptible only if every pod of it is: one non-preemptible pod protects the gang.
            r.Preemptible &= pod.Preemptible;
            r.Priority = Math.Max(r.Priority, pod.Priority);
            r.BoundIndexes.Add(b);
            r.Nodes.Add(pod.Node);
            r.Pods.Add(pod.Demand.Key);
            r.Milli += (long)pod.Demand.Gpus * GpuMilli.PerDevice + _state.BoundSharedMilli[b];
            r.WholeGpus += pod.Demand.Gpus;
        }

        return [.. byKey.Values];
    }

    private sealed class RunningWorkload(string key, int project, int priority, long order, long projectHeldAtStart)
    {
        public string Key { get; } = key;
        public int Project { get; } = project;
        public int Priority { get; set; } = priority;
        public long Order { get; } = order;
        public long ProjectHeldAtStart { get; } = projectHeldAtStart;
        public bool Preemptible { get; set; } = true;
        public long Milli { get; set; }
        public int WholeGpus { get; set; }
        public List<int> BoundIndexes { get; } = [];
        public HashSet<int> Nodes { get; } = [];
        public List<string> Pods { get; } = [];
    }
}
