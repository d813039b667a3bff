namespace Runai.Core.Yaml;

/// <summary>YAML that cannot be read as Kubernetes objects; says where (1-based line and column) and why.</summary>
public sealed class KubeYamlException : FormatException
{
    public KubeYamlException(string? sourceName, long line, long column, string problem, Exception? inner = null)
        : base($"{sourceName ?? "YAML"}: line {line}, column {column}: {problem}", inner)
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Problem = problem;
    }

    /// <summary>File name or other label given to the reader; null when none was.</summary>
    public string? SourceName { get; }
    public long Line { get; }
    public long Column { get; }

    /// <summary>The problem alone, without the location.</summary>
    public string Problem { get; }
}
