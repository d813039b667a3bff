namespace Runai.Core.Scheduling;

/// <summary>
/// Free capacity of every node and GPUs held by every project, kept up to date as pods are placed or released, with
/// an undo journal so a gang that does not fit whole is taken back exactly. Nodes are filed in buckets by free whole
/// devices (per pool and overall), so finding the fullest or emptiest node that fits costs a few list reads instead
/// of a scan of every node.
/// </summary>
internal sealed class ClusterState
{
    public const int AllPools = -1;

    private readonly SchedulingNode[] _nodes;
    private readonly int[] _freeWhole;
    private readonly long[] _freeCpu;
    private readonly long[] _freeMem;
    private readonly int[]?[] _shared;
    private readonly int[] _sharedCount;
    private readonly bool[] _inSharingList;
    private readonly int[] _poolOf;
    private readonly NodeBuckets _all;
    private readonly NodeBuckets[] _byPool;
    private readonly List<int>[] _sharingNodes; // per pool, last = all pools; lazily pruned
    private readonly long[] _freeMilliPool;
    private long _freeMilliAll;
    private readonly long[] _alloc;
    private readonly long[] _nonPreemptibleAlloc;
    private readonly List<JournalEntry> _journal = [];
    private readonly int[] _stamp;
    private int _stampValue;

    public ClusterState(ClusterSnapshot snapshot, bool releasingCountsAsFree)
    {
        _nodes = [.. snapshot.Nodes];
        var n = _nodes.Length;
        PoolNames = [.. _nodes.Select(x => x.Pool).Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        PoolIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < PoolNames.Count; i++) PoolIndex[PoolNames[i]] = i;
        ProjectIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        Projects = [.. snapshot.Projects];
        for (var i = 0; i < Projects.Count; i++) ProjectIndex[Projects[i].Name] = i;

        _freeWhole = new int[n];
        _freeCpu = new long[n];
        _freeMem = new long[n];
        _shared = new int[]?[n];
        _sharedCount = new int[n];
        _inSharingList = new bool[n];
        _poolOf = new int[n];
        _stamp = new int[n];
        _alloc = new long[Projects.Count];
        _nonPreemptibleAlloc = new long[Projects.Count];
        _freeMilliPool = new long[PoolNames.Count];
        var maxGpus = 0;
        var poolMembers = new List<int>[PoolNames.Count];
        for (var p = 0; p < poolMembers.Length; p++) poolMembers[p] = [];
        for (var i = 0; i < n; i++)
        {
            var node = _nodes[i];
            _freeWhole[i] = node.Schedulable ? Math.Max(0, node.Gpus) : 0;
            _freeCpu[i] = node.CpuMilli;
            _freeMem[i] = node.MemoryBytes;
            _poolOf[i] = node.Pool is { Length: > 0 } pool ? PoolIndex[pool] : AllPools;
            if (_poolOf[i] >= 0) poolMembers[_poolOf[i]].Add(i);
            maxGpus = Math.Max(maxGpus, node.Gpus);
            if (node.Gpus > 0) MaxDeviceMemoryMiB = Math.Max(MaxDeviceMemoryMiB, node.GpuMemoryMiB);
            if (node.Schedulable) TotalMilli += (long)Math.Max(0, node.Gpus) * GpuMilli.PerDevice;
        }

        MaxGpusPerNode = maxGpus;
        PoolMembers = [.. poolMembers.Select(l => l.ToArray())];
        _sharingNodes = new List<int>[PoolNames.Count + 1];
        for (var p = 0; p < _sharingNodes.Length; p++) _sharingNodes[p] = [];

        BoundDevices = new int[snapshot.Bound.Count];
        BoundSharedMilli = new int[snapshot.Bound.Count];
        Array.Fill(BoundDevices, -2);
        for (var b = 0; b < snapshot.Bound.Count; b++)
        {
            var pod = snapshot.Bound[b];
            if (releasingCountsAsFree && pod.Releasing) continue;
            if (pod.Node < 0 || pod.Node >= n) continue;
            var milli = pod.Demand.IsShared ? pod.Demand.SharedMilliOn(_nodes[pod.Node].GpuMemoryMiB) : 0;
            var device = -1;
            if (milli > 0)
            {
                device = pod.SharedDevice is int d && d >= 0 && d < _nodes[pod.Node].Gpus ? d : FirstSharedDevice(pod.Node, Math.Min(milli, GpuMilli.PerDevice));
                if (device < 0) device = 0;
            }

            var project = pod.Project is not null && ProjectIndex.TryGetValue(pod.Project, out var pi) ? pi : -1;
            BoundDevices[b] = device;
            BoundSharedMilli[b] = milli;
            ApplyRaw(new Op(pod.Node, pod.Demand.Gpus, pod.Demand.CpuMilli, pod.Demand.MemoryBytes, device, milli, project, !pod.Preemptible), +1, tracked: false);
        }

        // Buckets are filled last, from the final free counts, so building costs one insert per node.
        _all = new NodeBuckets(n, maxGpus);
        _byPool = new NodeBuckets[PoolNames.Count];
        for (var p = 0; p < _byPool.Length; p++) _byPool[p] = new NodeBuckets(n, maxGpus);
        for (var i = 0; i < n; i++)
        {
            if (!_nodes[i].Schedulable) continue;
            var free = Math.Clamp(_freeWhole[i], 0, maxGpus);
            _all.Insert(i, free);
            if (_poolOf[i] >= 0) _byPool[_poolOf[i]].Insert(i, free);
            var milliFree = FreeMilliOf(i);
            _freeMilliAll += milliFree;
            if (_poolOf[i] >= 0) _freeMilliPool[_poolOf[i]] += milliFree;
        }

        BucketsReady = true;
    }

    private bool BucketsReady { get; }

    /// <summary>Per pod of <see cref="ClusterSnapshot.Bound"/>: the shared device it holds (-1 none), or -2 when not counted.</summary>
    public int[] BoundDevices { get; }

    /// <summary>Per pod of <see cref="ClusterSnapshot.Bound"/>: the share of its device it holds, in thousandths.</summary>
    public int[] BoundSharedMilli { get; }

    public IReadOnlyList<string> PoolNames { get; }
    public Dictionary<string, int> PoolIndex { get; }
    public int[][] PoolMembers { get; }
    public IReadOnlyList<SchedulingProject> Projects { get; }
    public Dictionary<string, int> ProjectIndex { get; }
    public int MaxGpusPerNode { get; }
    public long MaxDeviceMemoryMiB { get; }
    /// <summary>GPUs of all schedulable nodes.</summary>
    public long TotalMilli { get; }
    public int NodeCount => _nodes.Length;

    public SchedulingNode Node(int i) => _nodes[i];
    public int FreeWhole(int node) => _freeWhole[node];
    public long Allocated(int project) => _alloc[project];
    public long NonPreemptibleAllocated(int project) => _nonPreemptibleAlloc[project];

    /// <summary>Free GPUs in one pool, or in every node with <see cref="AllPools"/>.</summary>
    public long FreeMilli(int pool) => pool == AllPools ? _freeMilliAll : _freeMilliPool[pool];

    public NodeBuckets Buckets(int pool) => pool == AllPools ? _all : _byPool[pool];

    public List<int> SharingNodes(int pool) => _sharingNodes[pool == AllPools ? PoolNames.Count : pool];

    public int SharedCount(int node) => _sharedCount[node];

    public bool FitsCpuAndMemory(int node, in PodDemand pod) => _freeCpu[node] >= pod.CpuMilli && _freeMem[node] >= pod.MemoryBytes;

    /// <summary>The fullest shared device on <paramref name="node"/> with room for <paramref name="milli"/>, or -1.</summary>
    public int SharedDeviceWithRoom(int node, int milli)
    {
        var devices = _shared[node];
        if (devices is null || _sharedCount[node] == 0) return -1;
        var best = -1;
        for (var d = 0; d < devices.Length; d++)
        {
            var used = devices[d];
            if (used > 0 && used + milli <= GpuMilli.PerDevice && (best < 0 || used > devices[best])) best = d;
        }

        return best;
    }

    /// <summary>A device not yet shared on <paramref name="node"/> (the lowest index).</summary>
    public int UnsharedDevice(int node)
    {
        var devices = _shared[node];
        if (devices is null) return 0;
        for (var d = 0; d < devices.Length; d++)
        {
            if (devices[d] == 0) return d;
        }

        return -1;
    }

    /// <summary>Starts a new anti-affinity mark: nodes marked after this call are "taken" until the next call.</summary>
    public void NewMark() => _stampValue++;

    public void Mark(int node) => _stamp[node] = _stampValue;

    public bool IsMarked(int node) => _stamp[node] == _stampValue;

    public int PoolOf(int node) => _poolOf[node];

    public int JournalPosition => _journal.Count;

    /// <summary>Places (or with <paramref name="sign"/> -1 releases) what a pod holds; journaled for <see cref="RollbackTo"/>.</summary>
    public void Apply(int node, in PodDemand pod, int device, int sharedMilli, int project, bool nonPreemptible, int sign) =>
        ApplyRaw(new Op(node, pod.Gpus, pod.CpuMilli, pod.MemoryBytes, device, sharedMilli, project, nonPreemptible), sign, tracked: true);

    public void RollbackTo(int position)
    {
        for (var i = _journal.Count - 1; i >= position; i--)
        {
            var op = _journal[i];
            ApplyRaw(op.Op, -op.Sign, tracked: false);
        }

        _journal.RemoveRange(position, _journal.Count - position);
    }

    private int FirstSharedDevice(int node, int milli)
    {
        var d = SharedDeviceWithRoom(node, milli);
        return d >= 0 ? d : UnsharedDevice(node);
    }

    private long FreeMilliOf(int node)
    {
        var free = (long)Math.Max(0, _freeWhole[node]) * GpuMilli.PerDevice;
        if (_shared[node] is { } devices)
        {
            foreach (var used in devices)
            {
                if (used > 0) free += Math.Max(0, GpuMilli.PerDevice - used);
            }
        }

        return free;
    }

    private void ApplyRaw(Op op, int sign, bool tracked)
    {
        var n = op.Node;
        var beforeFree = _freeWhole[n];
        var beforeMilli = BucketsReady ? FreeMilliOf(n) : 0;
        _freeWhole[n] -= sign * op.Whole;
        _freeCpu[n] -= sign * op.Cpu;
        _freeMem[n] -= sign * op.Mem;
        if (op.Device >= 0 && op.SharedMilli > 0)
        {
            var devices = _shared[n] ??= new int[Math.Max(1, _nodes[n].Gpus)];
            var was = devices[op.Device];
            devices[op.Device] = was + sign * op.SharedMilli;
            if (was == 0 && devices[op.Device] > 0)
            {
                _sharedCount[n]++;
                _freeWhole[n]--;
                if (!_inSharingList[n])
                {
                    _inSharingList[n] = true;
                    _sharingNodes[PoolNames.Count].Add(n);
                    if (_poolOf[n] >= 0) _sharingNodes[_poolOf[n]].Add(n);
                }
            }
            else if (was > 0 && devices[op.Device] == 0)
            {
                _sharedCount[n]--;
                _freeWhole[n]++;
            }
        }

        if (op.Project >= 0)
        {
            var milli = (long)op.Whole * GpuMilli.PerDevice + op.SharedMilli;
            _alloc[op.Project] += sign * milli;
            if (op.NonPreemptible) _nonPreemptibleAlloc[op.Project] += sign * milli;
        }

        if (BucketsReady && _nodes[n].Schedulable)
        {
            var afterMilli = FreeMilliOf(n);
            _freeMilliAll += afterMilli - beforeMilli;
            if (_poolOf[n] >= 0) _freeMilliPool[_poolOf[n]] += afterMilli - beforeMilli;
            if (_freeWhole[n] != beforeFree)
            {
                var to = Math.Clamp(_freeWhole[n], 0, MaxGpusPerNode);
                _all.Move(n, to);
                if (_poolOf[n] >= 0) _byPool[_poolOf[n]].Move(n, to);
            }
        }

        if (tracked) _journal.Add(new JournalEntry(op, sign));
    }

    private readonly record struct Op(int Node, int Whole, long Cpu, long Mem, int Device, int SharedMilli, int Project, bool NonPreemptible);

    private readonly record struct JournalEntry(Op Op, int Sign);
}

/// <summary>Nodes filed by their count of free whole devices; moving a node between counts is O(1).</summary>
internal sealed class NodeBuckets
{
    private readonly List<int>[] _lists;
    private readonly int[] _bucket;
    private readonly int[] _position;

    public NodeBuckets(int nodes, int maxFree)
    {
        _lists = new List<int>[maxFree + 1];
        for (var i = 0; i < _lists.Length; i++) _lists[i] = [];
        _bucket = new int[nodes];
        _position = new int[nodes];
        Array.Fill(_bucket, -1);
    }

    public int MaxFree => _lists.Length - 1;

    public List<int> WithFree(int free) => _lists[free];

    public void Insert(int node, int free)
    {
        _bucket[node] = free;
        _position[node] = _lists[free].Count;
        _lists[free].Add(node);
    }

    public void Move(int node, int free)
    {
        var from = _bucket[node];
        if (from < 0 || from == free) return;
        var list = _lists[from];
        var pos = _position[node];
        var last = list[^1];
        list[pos] = last;
        _position[last] = pos;
        list.RemoveAt(list.Count - 1);
        Insert(node, free);
    }
}
