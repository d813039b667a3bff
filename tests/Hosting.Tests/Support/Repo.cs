namespace Runai.Hosting.Tests.Support;

/// <summary>Paths in the repository the tests run from: the deploy manifests and the built executables.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string DeployDirectory => Path.Combine(Root, "deploy");

    public static string ComponentManifest(string component) => Path.Combine(DeployDirectory, "components", component + ".yaml");

    /// <summary>The controllers executable, built in the same configuration as these tests.</summary>
    public static string ControllersDll => Built("controllers", "Runai.Controllers.dll");

    public static string ExporterDll => Built("exporter", "Runai.Exporter.dll");

    private static string Built(string folder, string dll)
    {
        // AppContext.BaseDirectory is tests/Hosting.Tests/bin/<Configuration>/<tfm>/.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = tfmDir.Parent!.Name;
        var path = Path.Combine(Root, folder, "bin", configuration, tfmDir.Name, dll);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{dll} is not built at {path}; build tests/Hosting.Tests first", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Observability.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Observability.sln above {AppContext.BaseDirectory}");
    }
}
