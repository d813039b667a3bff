using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using CsCheck;
using Runai.Exporter.Exposition;

namespace Runai.Exporter.Tests;

/// <summary>The scrape writer: what one object's packed series read back as, and the same bytes however the writes are cut.</summary>
public sealed class ExpositionWriterTests
{
    private static readonly MetricFamily Fixed = new("runai_test_fixed", "A fixed value, in things.");
    private static readonly MetricFamily Growing = new("runai_test_seconds", "A growing value, in seconds.", timed: true);
    private static readonly MetricFamily Other = new("runai_test_other", "Another fixed value, in things.");
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AnObjectsSeriesReadBackFamilyByFamilyWithClockDrivenValuesAtScrapeTime()
    {
        var group = new FamilyGroup("thing", Fixed, Growing, Other);
        group.Set("a", group.Builder()
            .Add(Fixed, 1.5, ("name", "a"))
            .AddTimed(Growing, 10, Now.AddSeconds(-5), ("name", "a"), ("part", "running"))
            .AddTimed(Growing, 7, null, ("name", "a"), ("part", "queued"))
            .Add(Fixed, 2, ("name", "a"), ("extra", "x"))
            .Build());

        var text = Write([group], Now, flushEvery: 1 << 20);

        Assert.Equal(
            "# HELP runai_test_fixed A fixed value, in things.\n# TYPE runai_test_fixed gauge\n" +
            "runai_test_fixed{name=\"a\"} 1.5\nrunai_test_fixed{name=\"a\",extra=\"x\"} 2\n" +
            "# HELP runai_test_seconds A growing value, in seconds.\n# TYPE runai_test_seconds gauge\n" +
            "runai_test_seconds{name=\"a\",part=\"running\"} 15\n" +
            "runai_test_seconds{name=\"a\",part=\"queued\"} 7\n" +
            "# HELP runai_test_other Another fixed value, in things.\n# TYPE runai_test_other gauge\n",
            text);
        Assert.Equal(4, group.SeriesCount);
    }

    [Fact]
    public void ACountReplacedOrRemovedKeepsTheGroupsSeriesCountTrue()
    {
        var group = new FamilyGroup("thing", Fixed, Growing);
        group.Set("a", group.Builder().Add(Fixed, 1, ("name", "a")).AddTimed(Growing, 1, null, ("name", "a")).Build());
        group.Set("b", group.Builder().Add(Fixed, 1, ("name", "b")).Build());
        Assert.Equal(3, group.SeriesCount);
        group.Set("a", group.Builder().Add(Fixed, 2, ("name", "a")).Build());
        Assert.Equal(2, group.SeriesCount);
        group.Remove("b");
        Assert.Equal(1, group.SeriesCount);
        Assert.DoesNotContain("name=\"b\"", Write([group], Now, flushEvery: 64), StringComparison.Ordinal);
    }

    [Fact]
    public void TheOutputIsTheSameHoweverOftenTheWriterFlushes()
    {
        // Random objects (some with lines longer than the pipe's blocks), written with flushes from every few bytes to
        // never: each cut resumes exactly where it stopped.
        var objects = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.String[Gen.Char.AlphaNumeric, 0, 300], Gen.Double[-1e9, 1e9])
            .Array[0, 40];
        objects.Sample(things =>
        {
            var group = new FamilyGroup("thing", Fixed, Growing, Other);
            for (var i = 0; i < things.Length; i++)
            {
                var (fixedLines, timedLines, label, value) = things[i];
                var b = group.Builder();
                for (var l = 0; l < fixedLines; l++) b.Add(l % 2 == 0 ? Fixed : Other, value + l, ("name", $"{i}"), ("label", label));
                for (var l = 0; l < timedLines; l++) b.AddTimed(Growing, Math.Abs(value), l % 2 == 0 ? Now.AddSeconds(-l) : null, ("name", $"{i}"), ("n", $"{l}"));
                group.Set($"{i}", b.Build());
            }

            var whole = Write([group], Now, flushEvery: int.MaxValue);
            foreach (var flushEvery in new[] { 1, 7, 100, 4096 })
                Assert.Equal(whole, Write([group], Now, flushEvery));
            Assert.Equal(group.SeriesCount, whole.Split('\n').Count(l => l.StartsWith("runai_", StringComparison.Ordinal)));
        }, iter: 200);
    }

    [Fact]
    public async Task AReaderThatGoesAwayEndsTheWriteWithoutAnError()
    {
        var group = new FamilyGroup("thing", Fixed);
        for (var i = 0; i < 1000; i++) group.Set($"{i}", group.Builder().Add(Fixed, i, ("name", new string('x', 100))).Build());
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await pipe.Reader.CompleteAsync();

        var writer = new ExpositionWriter(pipe.Writer, flushEvery: 1024);
        var finished = await writer.WriteAsync([group], Now, CancellationToken.None);

        Assert.False(finished);
        Assert.InRange(writer.Written, 1, 4 * 1024);
    }

    private static string Write(IReadOnlyList<FamilyGroup> groups, DateTimeOffset now, int flushEvery)
    {
        var output = new ArrayBufferWriter<byte>();
        // Blocks of 97 bytes: copies straddle block ends all the time.
        var writer = new ExpositionWriter(new RecordingPipe(output), flushEvery, blockSize: 97);
        Assert.True(writer.WriteAsync(groups, now, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.Equal(output.WrittenCount, writer.Written);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>A pipe that keeps everything written, handing out exactly the memory asked for.</summary>
    private sealed class RecordingPipe(ArrayBufferWriter<byte> output) : PipeWriter
    {
        private byte[] _block = [];

        public override void Advance(int bytes) => output.Write(_block.AsSpan(0, bytes));

        public override Memory<byte> GetMemory(int sizeHint = 0) => _block = new byte[Math.Max(1, sizeHint)];

        public override Span<byte> GetSpan(int sizeHint = 0) => _block = new byte[Math.Max(1, sizeHint)];

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(new FlushResult(false, false));
    }
}
