using Runai.Core.Resources;

namespace Runai.Core.Scheduling;

/// <summary>What one cycle decided.</summary>
public sealed class CycleResult
{
    internal CycleResult(List<PodBinding> bindings, Dictionary<string, WorkloadOutcome> outcomes, int placedWorkloads)
    {
        Bindings = bindings;
        Outcomes = outcomes;
        PlacedWorkloads = placedWorkloads;
        var counts = PendingReasons.All.ToDictionary(r => r, _ => 0, StringComparer.Ordinal);
        foreach (var o in outcomes.Values)
        {
            if (!o.Placed && o.Reason is not null) counts[o.Reason]++;
        }

        PendingByReason = counts;
    }

    /// <summary>Pods to bind, gang by gang.</summary>
    public IReadOnlyList<PodBinding> Bindings { get; }

    /// <summary>One outcome per workload that had pods waiting, by workload key.</summary>
    public IReadOnlyDictionary<string, WorkloadOutcome> Outcomes { get; }

    /// <summary>Workloads whose gang was placed in this cycle.</summary>
    public int PlacedWorkloads { get; }

    /// <summary>Waiting workloads per reason code (every code present).</summary>
    public IReadOnlyDictionary<string, int> PendingByReason { get; }
}

/// <summary>
/// One scheduling cycle over a snapshot (SPEC §5), pure: projects take turns, those below quota first (fewest GPUs
/// held for their quota), then those over it by project rank and by GPUs over quota per <c>overQuotaWeight</c>, so
/// idle GPUs are shared by weight; within a project higher priority first, then older. Each gang is placed whole
/// in the first of its node pools where it fits (bin-pack or spread, distinct nodes under anti-affinity, fractions
/// sharing a device) or not at all, and a waiting workload gets the first reason that applies, with its numbers.
/// After <see cref="Run"/>, <see cref="PlanPreemptions"/> picks the victims that would let blocked gangs in.
/// </summary>
public sealed partial class SchedulingCycle
{
    private static readonly int[] AnyPool = [ClusterState.AllPools];

    private readonly ClusterSnapshot _snapshot;
    private readonly ClusterState _state;
    private readonly SchedulingPolicy _policy;
    private readonly Dictionary<string, WorkloadBound> _bound = new(StringComparer.Ordinal);
    private readonly List<Job> _blocked = [];
    private readonly int[] _cpuCursor;
    private CycleResult? _result;

    /// <param name="releasingCountsAsFree">
    /// True for the overseer: GPUs of pods already being evicted count as free, so it does not evict again for the
    /// same gang while the first victims terminate.
    /// </param>
    public SchedulingCycle(ClusterSnapshot snapshot, bool releasingCountsAsFree = false)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        _snapshot = snapshot;
        _policy = snapshot.EffectivePolicy;
        _state = new ClusterState(snapshot, releasingCountsAsFree);
        _cpuCursor = new int[_state.PoolNames.Count + 1];
        // Only workloads with pods waiting need their bound members (gang progress, anti-affinity): on a large
        // cluster that is a few thousand of tens of thousands.
        foreach (var w in snapshot.Pending) _bound.TryAdd(w.Key, new WorkloadBound());
        foreach (var pod in snapshot.Bound)
        {
            if (releasingCountsAsFree && pod.Releasing) continue;
            if (!_bound.TryGetValue(pod.Workload, out var b)) continue;
            if (pod.Node >= 0 && pod.Node < _state.NodeCount) b.Nodes.Add(pod.Node);
            if (pod.Releasing) continue;
            b.Count++;
            b.Milli += (long)pod.Demand.Gpus * GpuMilli.PerDevice + (pod.Demand.IsShared && pod.Node >= 0 && pod.Node < _state.NodeCount ? pod.Demand.SharedMilliOn(_state.Node(pod.Node).GpuMemoryMiB) : 0);
        }
    }

    public CycleResult Run()
    {
        if (_result is not null) return _result;
        var bindings = new List<PodBinding>();
        var outcomes = new Dictionary<string, WorkloadOutcome>(_snapshot.Pending.Count, StringComparer.Ordinal);
        var perProject = new List<Job>[_state.Projects.Count];
        for (var p = 0; p < perProject.Length; p++) perProject[p] = [];
        foreach (var w in _snapshot.Pending)
        {
            if (w.Pending.Count == 0) continue;
            if (w.Project is null || !_state.ProjectIndex.TryGetValue(w.Project, out var project))
            {
                outcomes[w.Key] = new WorkloadOutcome(w.Key, w.Project, false, PendingReasons.ProjectMissing, PendingReasonText.ProjectMissing(w.Namespace), null);
                continue;
            }

            perProject[project].Add(NewJob(w, project));
        }

        var queue = new PriorityQueue<int, ProjectTurn>();
        var next = new int[perProject.Length];
        var blockedPriorities = new List<int>[perProject.Length];
        for (var p = 0; p < perProject.Length; p++)
        {
            blockedPriorities[p] = [];
            if (perProject[p].Count == 0) continue;
            perProject[p].Sort(JobOrder.Instance);
            queue.Enqueue(p, Turn(p));
        }

        var placed = 0;
        while (queue.TryDequeue(out var p, out _))
        {
            var job = perProject[p][next[p]++];
            var outcome = Decide(job, blockedPriorities[p], bindings);
            if (outcome.Placed) placed++;
            outcomes[job.W.Key] = outcome;
            if (next[p] < perProject[p].Count) queue.Enqueue(p, Turn(p));
        }

        // Queue positions: the order the project's waiting workloads would be tried in.
        for (var p = 0; p < perProject.Length; p++)
        {
            var position = 0;
            foreach (var job in perProject[p])
            {
                var o = outcomes[job.W.Key];
                if (!o.Placed) outcomes[job.W.Key] = o with { QueuePosition = ++position };
            }
        }

        _result = new CycleResult(bindings, outcomes, placed);
        return _result;
    }

    private ProjectTurn Turn(int p)
    {
        var project = _state.Projects[p];
        var held = _state.Allocated(p);
        if (held < project.QuotaMilli)
        {
            return new ProjectTurn(0, 0, held / (double)project.QuotaMilli, p);
        }

        return new ProjectTurn(1, -project.Rank, (held - project.QuotaMilli) / (double)Math.Max(1, project.OverQuotaWeight), p);
    }

    private Job NewJob(WorkloadDemand w, int project)
    {
        var bound = _bound.GetValueOrDefault(w.Key) is { Count: > 0 } or { Nodes.Count: > 0 } ? _bound[w.Key] : null;
        var boundCount = bound?.Count ?? 0;
        var min = Math.Max(1, w.MinMember);
        var pools = w.NodePools is { Count: > 0 } own ? own : _state.Projects[project].NodePools ?? [];
        var poolIndexes = pools.Count == 0 ? AnyPool : [.. pools.Select(name => _state.PoolIndex.TryGetValue(name, out var i) ? i : -2)];
        PodDemand[] gang;
        PodDemand[] extras;
        var incomplete = false;
        var existing = boundCount + w.Pending.Count;
        if (boundCount >= min)
        {
            gang = [];
            extras = [.. w.Pending];
        }
        else
        {
            var required = min - boundCount;
            if (w.Pending.Count >= required)
            {
                gang = [.. w.Pending.Take(required)];
                extras = [.. w.Pending.Skip(required)];
            }
            else
            {
                // Members not created yet are assumed to ask what the first one asks, so quota and room can be judged.
                incomplete = true;
                gang = new PodDemand[required];
                for (var i = 0; i < required; i++) gang[i] = i < w.Pending.Count ? w.Pending[i] : w.Pending[0] with { Key = "" };
                extras = [];
            }

            Array.Sort(gang, BiggestFirst.Instance);
        }

        return new Job(w, project, pools, poolIndexes, gang, extras, incomplete, existing, min, bound);
    }

    private long MilliOf(in PodDemand pod) =>
        (long)pod.Gpus * GpuMilli.PerDevice + (pod.IsShared ? Math.Min(GpuMilli.PerDevice, pod.SharedMilliOn(_state.MaxDeviceMemoryMiB)) : 0);

    private long MilliOf(PodDemand[] pods)
    {
        long sum = 0;
        foreach (var pod in pods) sum += MilliOf(pod);
        return sum;
    }

    private long Idle(Job job)
    {
        long idle = 0;
        foreach (var pool in job.PoolIndexes)
        {
            if (pool >= -1) idle += _state.FreeMilli(pool);
        }

        return idle;
    }

    private WorkloadOutcome Decide(Job job, List<int> blockedPriorities, List<PodBinding> bindings)
    {
        var w = job.W;
        var project = _state.Projects[job.Project];
        if (job.Gang.Length == 0)
        {
            PlaceExtras(job, bindings);
            return new WorkloadOutcome(w.Key, w.Project, true, null, null, null);
        }

        var need = MilliOf(job.Gang);
        var gangTotal = need + (job.Bound?.Milli ?? 0);
        if (project.LimitMilli is long limit && gangTotal > limit)
            return Waiting(job, PendingReasons.OverLimit, PendingReasonText.OverLimit(project.Name, gangTotal, limit));
        if (_policy.MaxGpusPerWorkloadMilli is long max && gangTotal > max)
            return Waiting(job, PendingReasons.OverLimit, PendingReasonText.OverPolicyMax(gangTotal, max));
        var quotaProblem = QuotaProblem(job, need, strict: false);
        if (quotaProblem is not null) return Waiting(job, PendingReasons.OverQuota, quotaProblem);

        var mark = _state.JournalPosition;
        var assigned = new List<Assignment>(job.Gang.Length);
        var placed = TryPlaceWithinQuota(job, job.Gang, assigned, out var actualQuotaProblem);
        if (actualQuotaProblem is not null)
        {
            // Within the rules only once lower-priority work of the project makes way: the overseer's case.
            blockedPriorities.Add(w.Priority);
            job.Reason = PendingReasons.OverQuota;
            _blocked.Add(job);
            return Waiting(job, PendingReasons.OverQuota, actualQuotaProblem);
        }

        if (!placed)
        {
            var (reason, message) = CapacityReason(job, need);
            blockedPriorities.Add(w.Priority);
            job.Reason = reason;
            _blocked.Add(job);
            return Waiting(job, reason, message);
        }

        var ahead = 0;
        foreach (var priority in blockedPriorities)
        {
            if (priority > w.Priority) ahead++;
        }

        if (ahead > 0)
        {
            _state.RollbackTo(mark);
            return Waiting(job, PendingReasons.QueuedBehindHigherPriority, PendingReasonText.QueuedBehindHigherPriority(project.Name, ahead));
        }

        if (job.Incomplete)
        {
            _state.RollbackTo(mark);
            return Waiting(job, PendingReasons.GangIncomplete, PendingReasonText.GangIncomplete(job.Existing, job.MinMember));
        }

        Bind(job, assigned, bindings);
        PlaceExtras(job, bindings);
        return new WorkloadOutcome(w.Key, w.Project, true, null, null, null);
    }

    private static WorkloadOutcome Waiting(Job job, string reason, string message) =>
        new(job.W.Key, job.W.Project, false, reason, message, null);

    /// <summary>Why taking <paramref name="need"/> more GPUs would break the project's quota rules, or null.</summary>
    /// <param name="strict">
    /// False counts lower-priority preemptible work of the same project as displaceable (it does not stand in the
    /// gang's way: the overseer evicts it if the gang then finds no room); true counts everything held.
    /// </param>
    private string? QuotaProblem(Job job, long need, bool strict)
    {
        var p = job.Project;
        var project = _state.Projects[p];
        var held = _state.Allocated(p) - (strict ? 0 : DisplaceableBelow(p, job.W.Priority));
        if (project.LimitMilli is long limit && held + need > limit)
            return PendingReasonText.OverQuotaLimit(project.Name, _state.Allocated(p), limit, need);
        if (!job.W.Preemptible && _state.NonPreemptibleAllocated(p) + need > project.QuotaMilli)
            return PendingReasonText.OverQuotaNonPreemptible(project.Name, job.W.PriorityClassName ?? _policy.DefaultPriorityClass,
                _state.NonPreemptibleAllocated(p), project.QuotaMilli, need);
        if (held + need > project.QuotaMilli)
        {
            var idle = Idle(job);
            if (idle < need) return PendingReasonText.OverQuotaExhausted(project.Name, _state.Allocated(p), project.QuotaMilli, need, idle);
        }

        return null;
    }

    private (string Reason, string Message) CapacityReason(Job job, long need)
    {
        var idle = Idle(job);
        // The pools are the obstacle only when the rest of the cluster has the room they lack.
        if (job.Pools.Count > 0 && idle < need && _state.FreeMilli(ClusterState.AllPools) >= need)
            return (PendingReasons.NodePoolFull, PendingReasonText.NodePoolFull(job.Pools, idle, need));
        if (job.W.AntiAffinity && job.Gang.Length > 1)
        {
            var withRoom = NodesWithRoomFor(job, job.Gang[0]);
            if (withRoom < job.Gang.Length)
                return (PendingReasons.AntiAffinityUnsatisfiable, PendingReasonText.AntiAffinityUnsatisfiable(job.Gang.Length, withRoom, job.Pools));
        }

        var largest = 0;
        foreach (var pool in job.PoolIndexes)
        {
            if (pool < -1) continue;
            var buckets = _state.Buckets(pool);
            for (var f = buckets.MaxFree; f > largest; f--)
            {
                if (buckets.WithFree(f).Count > 0)
                {
                    largest = f;
                    break;
                }
            }
        }

        return (PendingReasons.InsufficientGpus, PendingReasonText.InsufficientGpus(job.Gang.Length, need, idle, largest));
    }

    /// <summary>Distinct nodes of the job's pools that could take its biggest pod alone (its own bound nodes excluded).</summary>
    private int NodesWithRoomFor(Job job, in PodDemand pod)
    {
        var count = 0;
        foreach (var pool in job.PoolIndexes)
        {
            if (pool < -1) continue;
            var buckets = _state.Buckets(pool);
            var from = pod.Gpus > 0 ? pod.Gpus : pod.IsShared ? 1 : 0;
            for (var f = Math.Min(from, buckets.MaxFree + 1); f <= buckets.MaxFree; f++)
            {
                foreach (var node in buckets.WithFree(f))
                {
                    if (job.Bound is null || !job.Bound.Nodes.Contains(node)) count++;
                }
            }

            if (pod.IsShared)
            {
                foreach (var node in _state.SharingNodes(pool))
                {
                    if (_state.FreeWhole(node) <= 0 && _state.SharedDeviceWithRoom(node, pod.SharedMilliOn(_state.Node(node).GpuMemoryMiB)) >= 0) count++;
                }
            }
        }

        return count;
    }

    /// <summary>Extra pods beyond a placed gang (replicas, a launcher created later) go one by one, each within the quota rules.</summary>
    private void PlaceExtras(Job job, List<PodBinding> bindings)
    {
        foreach (var pod in job.Extras)
        {
            PodDemand[] one = [pod];
            var need = MilliOf(one);
            if (_policy.MaxGpusPerWorkloadMilli is long max && (job.Bound?.Milli ?? 0) + need > max) continue;
            if (QuotaProblem(job, need, strict: true) is not null) continue;
            var assigned = new List<Assignment>(1);
            if (TryPlaceWithinQuota(job, one, assigned, out _)) Bind(job, assigned, bindings);
        }
    }

    private void Bind(Job job, List<Assignment> assigned, List<PodBinding> bindings)
    {
        var bound = job.Bound;
        if (bound is null)
        {
            _bound[job.W.Key] = bound = new WorkloadBound();
            job.Bound = bound;
        }

        foreach (var a in assigned)
        {
            bound.Count++;
            bound.Nodes.Add(a.Node);
            bound.Milli += (long)a.Pod.Gpus * GpuMilli.PerDevice + a.SharedMilli;
            bindings.Add(new PodBinding(a.Pod.Key, job.W.Key, a.Node, _state.Node(a.Node).Name, a.Device >= 0 ? a.Device : null));
        }
    }

    /// <summary>
    /// <see cref="TryPlace"/>, then the quota rules again on what the pods really took (a GPU-memory request is a
    /// bigger share of a smaller device than estimated, and lower-priority work counted as displaceable is still
    /// there): the project's limit, and quota for non-preemptible work. On a breach nothing stays placed and
    /// <paramref name="quotaProblem"/> says why.
    /// </summary>
    private bool TryPlaceWithinQuota(Job job, PodDemand[] pods, List<Assignment> assigned, out string? quotaProblem)
    {
        quotaProblem = null;
        var mark = _state.JournalPosition;
        if (!TryPlace(job, pods, assigned)) return false;
        var p = job.Project;
        var project = _state.Projects[p];
        if ((project.LimitMilli is not long limit || _state.Allocated(p) <= limit)
            && (job.W.Preemptible || _state.NonPreemptibleAllocated(p) <= project.QuotaMilli))
        {
            return true;
        }

        long actual = 0;
        foreach (var a in assigned) actual += (long)a.Pod.Gpus * GpuMilli.PerDevice + a.SharedMilli;
        _state.RollbackTo(mark);
        assigned.Clear();
        quotaProblem = QuotaProblem(job, actual, strict: true)
            ?? PendingReasonText.OverQuotaLimit(project.Name, _state.Allocated(p), project.LimitMilli ?? project.QuotaMilli, actual);
        return false;
    }

    /// <summary>Places every pod of <paramref name="pods"/> in one pool (the first where all fit), or none.</summary>
    private bool TryPlace(Job job, PodDemand[] pods, List<Assignment> assigned)
    {
        var nonPreemptible = !job.W.Preemptible;
        foreach (var pool in job.PoolIndexes)
        {
            if (pool < -1) continue;
            var mark = _state.JournalPosition;
            _state.NewMark();
            if (job.W.AntiAffinity && job.Bound is not null)
            {
                foreach (var node in job.Bound.Nodes) _state.Mark(node);
            }

            var ok = true;
            foreach (var pod in pods)
            {
                var node = FindNode(pod, pool, job.W.Placement, job.W.AntiAffinity, out var device, out var milli);
                if (node < 0)
                {
                    ok = false;
                    break;
                }

                _state.Apply(node, pod, device, milli, job.Project, nonPreemptible, +1);
                if (job.W.AntiAffinity) _state.Mark(node);
                assigned.Add(new Assignment(pod, node, device, milli));
            }

            if (ok) return true;
            _state.RollbackTo(mark);
            assigned.Clear();
        }

        return false;
    }

    /// <summary>The node for one pod in a pool: fullest that fits when bin-packing, emptiest when spreading.</summary>
    private int FindNode(in PodDemand pod, int pool, Placement placement, bool antiAffinity, out int device, out int milli)
    {
        device = -1;
        milli = 0;
        var buckets = _state.Buckets(pool);
        var binpack = placement == Placement.Binpack;
        if (pod.Gpus > 0)
        {
            if (pod.Gpus > buckets.MaxFree) return -1;
            for (var step = 0; step <= buckets.MaxFree - pod.Gpus; step++)
            {
                var f = binpack ? pod.Gpus + step : buckets.MaxFree - step;
                var node = FirstFit(buckets.WithFree(f), pod, antiAffinity);
                if (node >= 0) return node;
            }

            return -1;
        }

        if (pod.IsShared)
        {
            if (binpack)
            {
                var node = SharedFit(pod, pool, antiAffinity, out device, out milli);
                if (node >= 0) return node;
            }

            for (var step = 0; step < buckets.MaxFree; step++)
            {
                var f = binpack ? 1 + step : buckets.MaxFree - step;
                var list = buckets.WithFree(f);
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    var node = list[i];
                    if (antiAffinity && _state.IsMarked(node)) continue;
                    if (!_state.FitsCpuAndMemory(node, pod)) continue;
                    var m = pod.SharedMilliOn(_state.Node(node).GpuMemoryMiB);
                    if (m > GpuMilli.PerDevice) continue;
                    var d = _state.UnsharedDevice(node);
                    if (d < 0) continue;
                    device = d;
                    milli = m;
                    return node;
                }
            }

            return binpack ? -1 : SharedFit(pod, pool, antiAffinity, out device, out milli);
        }

        return CpuFit(pod, pool, antiAffinity);
    }

    private int FirstFit(List<int> list, in PodDemand pod, bool antiAffinity)
    {
        for (var i = list.Count - 1; i >= 0; i--)
        {
            var node = list[i];
            if (antiAffinity && _state.IsMarked(node)) continue;
            if (_state.FitsCpuAndMemory(node, pod)) return node;
        }

        return -1;
    }

    private int SharedFit(in PodDemand pod, int pool, bool antiAffinity, out int device, out int milli)
    {
        device = -1;
        milli = 0;
        foreach (var node in _state.SharingNodes(pool))
        {
            if (_state.SharedCount(node) == 0 || (antiAffinity && _state.IsMarked(node)) || !_state.FitsCpuAndMemory(node, pod)) continue;
            if (!_state.Node(node).Schedulable) continue;
            var m = pod.SharedMilliOn(_state.Node(node).GpuMemoryMiB);
            if (m > GpuMilli.PerDevice) continue;
            var d = _state.SharedDeviceWithRoom(node, m);
            if (d < 0) continue;
            device = d;
            milli = m;
            return node;
        }

        return -1;
    }

    /// <summary>A pod without GPUs: the next node (round robin) with room for its CPU and memory.</summary>
    private int CpuFit(in PodDemand pod, int pool, bool antiAffinity)
    {
        var members = pool == ClusterState.AllPools ? null : _state.PoolMembers[pool];
        var count = members?.Length ?? _state.NodeCount;
        if (count == 0) return -1;
        var cursorSlot = pool == ClusterState.AllPools ? _cpuCursor.Length - 1 : pool;
        var start = _cpuCursor[cursorSlot] % count;
        for (var i = 0; i < count; i++)
        {
            var at = (start + i) % count;
            var node = members?[at] ?? at;
            if (!_state.Node(node).Schedulable || (antiAffinity && _state.IsMarked(node)) || !_state.FitsCpuAndMemory(node, pod)) continue;
            _cpuCursor[cursorSlot] = at;
            return node;
        }

        return -1;
    }

    private sealed class WorkloadBound
    {
        public int Count;
        public long Milli;
        public HashSet<int> Nodes { get; } = [];
    }

    private sealed class Job(
        WorkloadDemand w,
        int project,
        IReadOnlyList<string> pools,
        int[] poolIndexes,
        PodDemand[] gang,
        PodDemand[] extras,
        bool incomplete,
        int existing,
        int minMember,
        WorkloadBound? bound)
    {
        public WorkloadDemand W { get; } = w;
        public int Project { get; } = project;
        public IReadOnlyList<string> Pools { get; } = pools;
        public int[] PoolIndexes { get; } = poolIndexes;
        public PodDemand[] Gang { get; } = gang;
        public PodDemand[] Extras { get; } = extras;
        public bool Incomplete { get; } = incomplete;
        public int Existing { get; } = existing;
        public int MinMember { get; } = minMember;
        public WorkloadBound? Bound { get; set; } = bound;
        /// <summary>Why it could not be placed for lack of room (set when blocked).</summary>
        public string? Reason { get; set; }
    }

    private readonly record struct Assignment(PodDemand Pod, int Node, int Device, int SharedMilli);

    private readonly record struct ProjectTurn(int Phase, int NegativeRank, double Ratio, int Index) : IComparable<ProjectTurn>
    {
        public int CompareTo(ProjectTurn other)
        {
            var c = Phase.CompareTo(other.Phase);
            if (c != 0) return c;
            c = NegativeRank.CompareTo(other.NegativeRank);
            if (c != 0) return c;
            c = Ratio.CompareTo(other.Ratio);
            return c != 0 ? c : Index.CompareTo(other.Index);
        }
    }

    private sealed class JobOrder : IComparer<Job>
    {
        public static readonly JobOrder Instance = new();

        public int Compare(Job? x, Job? y)
        {
            var c = y!.W.Priority.CompareTo(x!.W.Priority);
            if (c != 0) return c;
            c = x.W.Order.CompareTo(y.W.Order);
            return c != 0 ? c : string.CompareOrdinal(x.W.Key, y.W.Key);
        }
    }

    private sealed class BiggestFirst : IComparer<PodDemand>
    {
        public static readonly BiggestFirst Instance = new();

        public int Compare(PodDemand x, PodDemand y)
        {
            var c = y.Gpus.CompareTo(x.Gpus);
            if (c != 0) return c;
            c = y.IsShared.CompareTo(x.IsShared);
            return c != 0 ? c : string.CompareOrdinal(x.Key, y.Key);
        }
    }
}
