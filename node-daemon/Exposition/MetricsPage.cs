namespace Runai.NodeDaemon.Exposition;

/// <summary>
/// The rendered page, double-buffered: the collector renders into the back buffer and swaps it in; a scrape copies
/// the front one out under the same lock. Neither side allocates.
/// </summary>
internal sealed class MetricsPage
{
    private readonly Lock gate = new();
    private ExpositionWriter front = new();
    private ExpositionWriter back = new();

    /// <summary>The buffer to render the next page into (collector thread only).</summary>
    public ExpositionWriter Back => back;

    /// <summary>Makes the back buffer the page scrapes see.</summary>
    public void Publish()
    {
        lock (gate) (front, back) = (back, front);
    }

    /// <summary>Runs <paramref name="use"/> with the current page; the page does not change meanwhile.</summary>
    public T Read<T, TState>(TState state, ReadOnlySpanFunc<T, TState> use)
    {
        lock (gate) return use(front.Written, state);
    }

    /// <summary>A copy of the current page (tests, diagnostics).</summary>
    public string Text()
    {
        lock (gate) return front.ToString();
    }
}

internal delegate T ReadOnlySpanFunc<T, TState>(ReadOnlySpan<byte> page, TState state);
