namespace Runai.Core;

/// <summary>One kind of workload: where its objects live in the API and whether its pods form a multi-pod gang.</summary>
public sealed record WorkloadKindInfo(string Group, string Version, string Kind, string Plural, bool Distributed)
{
    public string ApiVersion => $"{Group}/{Version}";

    /// <summary>Resource name as RBAC and kubectl spell it, e.g. <c>mpijobs.kubeflow.org</c>.</summary>
    public string GroupResource => $"{Plural}.{Group}";
}

/// <summary>The workload kinds the product manages: four Run:ai kinds and Kubeflow's MPIJob.</summary>
public static class WorkloadKinds
{
    public const string RunaiGroup = "run.ai";
    public const string RunaiVersion = "v2alpha1";
    public const string KubeflowGroup = "kubeflow.org";
    public const string KubeflowVersion = "v2beta1";

    /// <summary>The CRD category of the Run:ai workload kinds: <c>kubectl get runaiworkloads -A</c>.</summary>
    public const string Category = "runaiworkloads";

    public static readonly WorkloadKindInfo RunaiJob = new(RunaiGroup, RunaiVersion, "RunaiJob", "runaijobs", Distributed: false);
    public static readonly WorkloadKindInfo TrainingWorkload = new(RunaiGroup, RunaiVersion, "TrainingWorkload", "trainingworkloads", Distributed: true);
    public static readonly WorkloadKindInfo InferenceWorkload = new(RunaiGroup, RunaiVersion, "InferenceWorkload", "inferenceworkloads", Distributed: false);
    public static readonly WorkloadKindInfo InteractiveWorkload = new(RunaiGroup, RunaiVersion, "InteractiveWorkload", "interactiveworkloads", Distributed: false);
    public static readonly WorkloadKindInfo MpiJob = new(KubeflowGroup, KubeflowVersion, "MPIJob", "mpijobs", Distributed: true);

    public static readonly IReadOnlyList<WorkloadKindInfo> All = [RunaiJob, TrainingWorkload, InferenceWorkload, InteractiveWorkload, MpiJob];

    /// <summary>The four kinds of group run.ai (the ones in the <see cref="Category"/> category).</summary>
    public static readonly IReadOnlyList<WorkloadKindInfo> Runai = [RunaiJob, TrainingWorkload, InferenceWorkload, InteractiveWorkload];

    /// <summary>Finds a kind by its Kind name (<c>MPIJob</c>), case-sensitive as the API is.</summary>
    public static WorkloadKindInfo? FindByKind(string kind) => All.FirstOrDefault(k => k.Kind == kind);

    /// <summary>Finds a kind by plural resource name (<c>mpijobs</c>).</summary>
    public static WorkloadKindInfo? FindByPlural(string plural) => All.FirstOrDefault(k => k.Plural == plural);
}
