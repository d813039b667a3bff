namespace Runai.NodeDaemon.Hosting;

/// <summary>
/// Line logs on stderr: timestamp, level, message. Deliberately tiny: a logging framework with its DI container
/// would cost this daemon more memory than everything else it does (see bench/RESULTS.md, node-daemon).
/// </summary>
internal static class Log
{
    private static readonly Lock Gate = new();

    /// <summary>Debug lines are written only when asked for (--log-level debug).</summary>
    public static bool DebugEnabled { get; set; }

    /// <summary>Where lines go; tests capture them.</summary>
    public static TextWriter Output { get; set; } = Console.Error;

    public static void Debug(string message)
    {
        if (DebugEnabled) Write("DBG", message);
    }

    public static void Info(string message) => Write("INF", message);

    public static void Warn(string message) => Write("WRN", message);

    public static void Error(string message) => Write("ERR", message);

    private static void Write(string level, string message)
    {
        lock (Gate)
        {
            Output.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {message}");
            Output.Flush();
        }
    }
}
