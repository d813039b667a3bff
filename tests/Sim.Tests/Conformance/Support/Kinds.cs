namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>A REST resource the cases use, named as both clients address it.</summary>
public sealed record Kind(string Group, string Version, string Plural, string KindName, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The resource as kubectl takes it on the command line (plural.group for non-core kinds).</summary>
    public string KubectlResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly Kind ConfigMap = new("", "v1", "configmaps", "ConfigMap", true);
    public static readonly Kind Pod = new("", "v1", "pods", "Pod", true);
    public static readonly Kind Namespace = new("", "v1", "namespaces", "Namespace", false);
    public static readonly Kind Project = new("run.ai", "v2alpha1", "projects", "Project", false);
}

/// <summary>One object: its kind, namespace (empty when cluster-scoped) and name.</summary>
public sealed record ObjectRef(Kind Kind, string Namespace, string Name);
