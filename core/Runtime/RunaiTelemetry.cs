using System.Diagnostics;

namespace Runai.Core.Runtime;

/// <summary>The one ActivitySource every component traces with (reconciles, scheduling cycles, doctor runs).</summary>
public static class RunaiTelemetry
{
    public const string SourceName = "Runai";

    public static readonly ActivitySource Source = new(SourceName);
}
