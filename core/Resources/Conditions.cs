using System.Text.Json.Serialization;

namespace Runai.Core.Resources;

/// <summary>A condition as Kubernetes conventions shape it: type, True/False/Unknown, reason, message, when it last flipped.</summary>
public sealed class ResourceCondition
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    /// <summary>"True", "False" or "Unknown" (<see cref="ConditionStatus"/>).</summary>
    [JsonPropertyName("status")]
    public string Status { get; set; } = ConditionStatus.Unknown;

    /// <summary>CamelCase machine-readable reason.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("lastTransitionTime")]
    public DateTime? LastTransitionTime { get; set; }

    [JsonIgnore]
    public bool IsTrue => Status == ConditionStatus.True;
}

public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    public static readonly IReadOnlyList<string> All = [True, False, Unknown];
}

/// <summary>Lookups over a condition list, shared by Projects and workloads.</summary>
public static class ConditionListExtensions
{
    public static ResourceCondition? Find(this IEnumerable<ResourceCondition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    public static bool IsTrue(this IEnumerable<ResourceCondition>? conditions, string type) =>
        conditions.Find(type)?.IsTrue == true;
}
