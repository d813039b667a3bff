using System.Text.Json.Nodes;
using Runai.Core.Yaml;

namespace Runai.Core.Tests.Support;

/// <summary>Finds files of the repository the tests run from (the folder holding Observability.sln).</summary>
internal static class RepoFiles
{
    private static readonly Lazy<string> RootDirectory = new(FindRoot);

    public static string Root => RootDirectory.Value;

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static IReadOnlyList<string> RunaiCrdFiles =>
        Directory.GetFiles(PathOf("deploy/crds"), "*.yaml").Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> ThirdPartyCrdFiles =>
        Directory.GetFiles(PathOf("sim/crds"), "*.yaml").Order(StringComparer.Ordinal).ToList();

    public static JsonObject Crd(string relative) => KubeYaml.ReadObject(File.ReadAllText(PathOf(relative)), relative);

    /// <summary>The openAPIV3Schema of the CRD's first version.</summary>
    public static JsonObject Schema(JsonObject crd) =>
        crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!.AsObject();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Observability.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Observability.sln above {AppContext.BaseDirectory}.");
    }
}
