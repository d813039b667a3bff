namespace Runai.Exporter.Tests.Support;

/// <summary>Paths in the repository: deploy manifests and the built exporter.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Deploy(string relative) => Path.Combine(Root, "deploy", relative);

    /// <summary>Runai.Exporter.dll as this test project's build left it (same configuration).</summary>
    public static string ExporterDll
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var path = Path.Combine(Root, "exporter", "bin", tfm.Parent!.Name, tfm.Name, "Runai.Exporter.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"the exporter is not built at {path}", path);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Observability.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"no Observability.sln above {AppContext.BaseDirectory}");
    }
}
