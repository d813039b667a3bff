using System.Text;
using CsCheck;
using Runai.NodeDaemon.Dcgm;
using Runai.NodeDaemon.Exposition;

namespace Runai.NodeDaemon.Tests.Dcgm;

public sealed class ExpositionReaderTests
{
    private sealed record Sample(string Name, (string Name, string Value)[] Labels, double Value, long? Timestamp);

    private static List<Sample> Parse(string text) => Parse(Encoding.UTF8.GetBytes(text));

    private static List<Sample> Parse(byte[] bytes)
    {
        var result = new List<Sample>();
        var reader = new ExpositionReader(bytes);
        while (reader.Next(out var s))
        {
            var labels = new List<(string, string)>();
            foreach (var name in LabelNames(s.Labels)) labels.Add((name, s.Label(Encoding.UTF8.GetBytes(name))!));
            result.Add(new Sample(Encoding.UTF8.GetString(s.Name), [.. labels], s.Value, s.Timestamp));
        }
        return result;
    }

    private static IEnumerable<string> LabelNames(ReadOnlySpan<byte> labels)
    {
        // Test-side walk of a validated label block: names are before '=', values are quoted with escapes.
        var names = new List<string>();
        var text = Encoding.UTF8.GetString(labels);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ',')) i++;
            if (i >= text.Length) break;
            var eq = text.IndexOf('=', i);
            names.Add(text[i..eq].Trim());
            i = text.IndexOf('"', eq) + 1;
            while (text[i] != '"') i += text[i] == '\\' ? 2 : 1;
            i++;
        }
        return names;
    }

    [Fact]
    public void ADcgmExporterPageIsRead()
    {
        var samples = Parse("""
            # HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
            # TYPE DCGM_FI_DEV_GPU_UTIL gauge
            DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-abc",device="nvidia0",modelName="NVIDIA H200",Hostname="node-1",pod="",namespace=""} 35
            DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-abc"} 1024 1700000000000

            weird_but_valid{a="x\"y\\z\nw",} -1.5e3
            inf_value +Inf
            """);

        Assert.Equal(4, samples.Count);
        Assert.Equal("DCGM_FI_DEV_GPU_UTIL", samples[0].Name);
        Assert.Equal(35, samples[0].Value);
        Assert.Contains(("modelName", "NVIDIA H200"), samples[0].Labels);
        Assert.Equal(1700000000000, samples[1].Timestamp);
        Assert.Equal(("a", "x\"y\\z\nw"), samples[2].Labels.Single());
        Assert.Equal(-1500, samples[2].Value);
        Assert.Equal(double.PositiveInfinity, samples[3].Value);
    }

    [Theory]
    [InlineData("m{a=\"1\",a=\"2\"} 1", "appears twice")]
    [InlineData("m{a=\"\\x\"} 1", "invalid escape")]
    [InlineData("m{a=\"open} 1", "not closed")]
    [InlineData("m{a=1} 1", "no quoted value")]
    [InlineData("m{1a=\"x\"} 1", "label name")]
    [InlineData("m", "no value")]
    [InlineData("m 1,5", "not a number")]
    [InlineData("m 0x10", "not a number")]
    [InlineData("m 1 2 3", "unexpected text")]
    [InlineData("m 1 12.5", "timestamp")]
    [InlineData("9m 1", "metric name")]
    [InlineData("# TYPE m gauges", "unknown metric type")]
    [InlineData("ok 1\nm{a=\"x\" b=\"y\"} 1", "line 2")]
    public void BadInputIsRefusedWithTheLineAndTheReason(string text, string expected)
    {
        var e = Assert.Throws<ExpositionFormatException>(() => Parse(text));
        Assert.Contains(expected, e.Message);
    }

    private static readonly Gen<string> NameGen = Gen.String[Gen.Char["abcdefXYZ_:"], 1, 12];
    private static readonly Gen<string> LabelNameGen = Gen.String[Gen.Char["abcdefXYZ_"], 1, 8];
    // Any BMP text but surrogates (which UTF-8 cannot carry on their own).
    private static readonly Gen<string> LabelValueGen = Gen.String[Gen.Char['\0', '\uD7FF'], 0, 20];

    private static readonly Gen<Sample> SampleGen =
        Gen.Select(NameGen, Gen.Select(LabelNameGen, LabelValueGen).Array[0, 5], Gen.Double, Gen.Select(Gen.Bool, Gen.Long[-1_000_000_000_000, 1_000_000_000_000], (some, ts) => some ? ts : (long?)null),
            (name, labels, value, ts) => new Sample(name, labels.DistinctBy(l => l.Item1).ToArray(), value, ts));

    private static byte[] Render(IEnumerable<Sample> samples)
    {
        var w = new ExpositionWriter(64);
        foreach (var s in samples)
        {
            w.Raw(Encoding.UTF8.GetBytes(s.Name));
            if (s.Labels.Length > 0)
            {
                w.Byte((byte)'{');
                for (var i = 0; i < s.Labels.Length; i++)
                {
                    if (i > 0) w.Byte((byte)',');
                    w.Raw(Encoding.UTF8.GetBytes(s.Labels[i].Name)).Raw("=\""u8).LabelValue(s.Labels[i].Value).Byte((byte)'"');
                }
                w.Byte((byte)'}');
            }
            w.Byte((byte)' ').Value(s.Value);
            if (s.Timestamp is { } ts) w.Byte((byte)' ').Value(ts);
            w.Byte((byte)'\n');
        }
        return w.Written.ToArray();
    }

    [Fact]
    public void WhatTheWriterRendersReadsBackTheSame() =>
        SampleGen.List[0, 20].Sample(samples =>
        {
            var parsed = Parse(Render(samples));
            Assert.Equal(samples.Count, parsed.Count);
            for (var i = 0; i < samples.Count; i++)
            {
                Assert.Equal(samples[i].Name, parsed[i].Name);
                Assert.Equal(samples[i].Labels, parsed[i].Labels);
                Assert.True(samples[i].Value.Equals(parsed[i].Value), $"value {samples[i].Value:R} read back as {parsed[i].Value:R}");
                Assert.Equal(samples[i].Timestamp, parsed[i].Timestamp);
            }
        }, iter: 2000);

    /// <summary>Parses and swallows only the reader's own refusal: anything else thrown is a bug.</summary>
    private static void ParseOrRefuse(byte[] bytes)
    {
        try
        {
            Parse(bytes);
        }
        catch (ExpositionFormatException)
        {
        }
    }

    [Fact]
    public void MutatedPagesAreReadOrRefusedNeverCrash() =>
        Gen.Select(SampleGen.List[1, 8], Gen.Select(Gen.Int[0, 10_000], Gen.Byte, Gen.Int[0, 2]).Array[1, 6]).Sample((samples, edits) =>
        {
            var bytes = Render(samples).ToList();
            foreach (var (at, value, kind) in edits)
            {
                var i = at % (bytes.Count + 1);
                if (kind == 0 && i < bytes.Count) bytes[i] = value;
                else if (kind == 1) bytes.Insert(i, value);
                else if (i < bytes.Count) bytes.RemoveAt(i);
            }
            ParseOrRefuse([.. bytes]);
        }, iter: 5000);

    [Fact]
    public void RandomBytesAreReadOrRefusedNeverCrash() =>
        Gen.Byte[0, 127].Array[0, 200].Sample(ParseOrRefuse, iter: 5000);
}
