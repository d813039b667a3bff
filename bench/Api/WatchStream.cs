using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Runai.Bench;

/// <summary>
/// One watch on all pods, read line by line; records when each MODIFIED event arrived, by resourceVersion,
/// so delivery latency can be joined with the patch responses afterwards.
/// </summary>
internal sealed class WatchStream
{
    private readonly List<(long ResourceVersion, long ArrivedAt)> _arrivals;
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _expected;
    private int _count;

    public WatchStream(int expected)
    {
        _expected = expected;
        _arrivals = new List<(long, long)>(expected);
    }

    public IReadOnlyList<(long ResourceVersion, long ArrivedAt)> Arrivals => _arrivals;
    public int Count => Volatile.Read(ref _count);
    /// <summary>Completes when every expected event arrived, or faults when the stream broke first.</summary>
    public Task Complete => _complete.Task;
    public long LastArrival { get; private set; }

    /// <summary>Reads until cancelled; an ERROR event, an unexpected type or the server closing the stream is a failure.</summary>
    public async Task ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024));
            while (true)
            {
                var read = await reader.ReadAsync(ct);
                var buffer = read.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    Record(line);
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    throw new BenchmarkFailedException($"a watch ended early after {Count} of {_expected} events");
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            _complete.TrySetCanceled(ct);
        }
        catch (Exception e)
        {
            _complete.TrySetException(e);
        }
    }

    private void Record(ReadOnlySequence<byte> line)
    {
        var now = Stopwatch.GetTimestamp();
        var (type, rv) = JsonPeek.WatchEvent(line);
        if (type != "MODIFIED")
        {
            throw new BenchmarkFailedException($"a watch delivered a {type} event where only MODIFIED was expected: {System.Text.Encoding.UTF8.GetString(line.Slice(0, Math.Min(line.Length, 300)).ToArray())}");
        }

        _arrivals.Add((rv, now));
        LastArrival = now;
        if (Interlocked.Increment(ref _count) == _expected)
        {
            _complete.TrySetResult();
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }
}
