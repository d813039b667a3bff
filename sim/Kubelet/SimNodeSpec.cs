namespace Runai.Sim.Kubelet;

/// <summary>A simulated node as a scenario lists it.</summary>
internal sealed record SimNodeSpec
{
    public required string Name { get; init; }
    public string Pool { get; init; } = "default";
    public int Gpus { get; init; }
    public string GpuProduct { get; init; } = "NVIDIA-H200";
    /// <summary>Memory per GPU in MiB, as GPU feature discovery labels it (nvidia.com/gpu.memory).</summary>
    public int GpuMemoryMiB { get; init; }
    public string Cpu { get; init; } = "64";
    public string Memory { get; init; } = "1024Gi";
    public int MaxPods { get; init; } = 110;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>When false the node reports Ready=False (for fault scenarios).</summary>
    public bool Ready { get; init; } = true;
}
