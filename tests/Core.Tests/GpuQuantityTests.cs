using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;

namespace Runai.Core.Tests;

public sealed class GpuQuantityTests
{
    [Theory]
    [InlineData("4", "4")]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("0.5", "0.5")]
    [InlineData("0.50", "0.5")]
    [InlineData(".5", "0.5")]
    [InlineData("2.", "2")]
    [InlineData("+3", "3")]
    [InlineData(" 2 ", "2")]
    [InlineData("1.25", "1.25")]
    [InlineData("500m", "0.5")]
    [InlineData("1500m", "1.5")]
    [InlineData("250m", "0.25")]
    [InlineData("2000m", "2")]
    [InlineData("100u", "0.0001")]
    [InlineData("1n", "0.000000001")]
    [InlineData("1k", "1000")]
    [InlineData("1M", "1000000")]
    [InlineData("1Ki", "1024")]
    [InlineData("1e1", "10")]
    [InlineData("5e-1", "0.5")]
    [InlineData("1E2", "100")]
    [InlineData("0.0000000001e1", "0.000000001")]
    public void ValidTextParsesToItsCanonicalForm(string text, string expected)
    {
        Assert.True(GpuQuantity.TryParse(text, out var quantity, out var error), error);
        Assert.Null(error);
        Assert.Equal(expected, quantity.ToString());
        Assert.Equal(expected, GpuQuantity.Parse(text).ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("-1", "cannot be negative")]
    [InlineData("-500m", "cannot be negative")]
    [InlineData("-0.5", "cannot be negative")]
    [InlineData("NaN", "not a number")]
    [InlineData("nan", "not a number")]
    [InlineData("Infinity", "not a number")]
    [InlineData("abc", "not a number")]
    [InlineData(".", "not a number")]
    [InlineData("--1", "not a number")]
    [InlineData("four", "not a number")]
    [InlineData("1.2.3", "unknown suffix '.3'")]
    [InlineData("4 GPUs", "unknown suffix ' GPUs'")]
    [InlineData("1,5", "unknown suffix ',5'")]
    [InlineData("1x", "unknown suffix 'x'")]
    [InlineData("0x10", "unknown suffix 'x10'")]
    [InlineData("1mi", "unknown suffix 'mi'")]
    [InlineData("1e", "unknown suffix 'e'")]
    [InlineData("1e1.5", "invalid exponent '1.5'")]
    [InlineData("1e999", "out of range")]
    [InlineData("1e99999999999", "invalid exponent")]
    [InlineData("99999999999999999999999999999999", "too large")]
    [InlineData("10e28", "too large")]
    [InlineData("0.0000000001", "nano precision")]
    public void InvalidTextIsRejectedWithAReason(string text, string reason)
    {
        Assert.False(GpuQuantity.TryParse(text, out var quantity, out var error));
        Assert.Equal(GpuQuantity.Zero, quantity);
        Assert.Contains(reason, error);
        if (text.Trim().Length > 0)
        {
            Assert.Contains($"'{text}'", error); // the message quotes what was given
        }
        var thrown = Assert.Throws<FormatException>(() => GpuQuantity.Parse(text));
        Assert.Equal(error, thrown.Message);
    }

    [Fact]
    public void MissingTextIsRejected()
    {
        Assert.False(GpuQuantity.TryParse(null, out _, out var error));
        Assert.Equal("GPU quantity is missing.", error);
        Assert.False(GpuQuantity.TryParse(null, out _));
    }

    [Fact]
    public void WholeAmountsPrintWithoutDecimals()
    {
        Assert.Equal("4", GpuQuantity.FromDevices(4).ToString());
        Assert.Equal("4", GpuQuantity.FromDecimal(4.000m).ToString());
        Assert.Equal("301508", GpuQuantity.FromDevices(301508).ToString());
    }

    [Fact]
    public void FractionsPrintWithoutTrailingZerosOrExponent()
    {
        Assert.Equal("0.5", GpuQuantity.FromDecimal(0.500m).ToString());
        Assert.Equal("0.0001", GpuQuantity.FromDecimal(0.0001m).ToString());
        Assert.Equal("1.125", GpuQuantity.FromDecimal(1.125m).ToString());
    }

    [Fact]
    public void WholeAndFractionalAreTold()
    {
        Assert.True(GpuQuantity.Parse("2").IsWhole);
        Assert.False(GpuQuantity.Parse("2").IsFractional);
        Assert.True(GpuQuantity.Parse("0.5").IsFractional);
        Assert.True(GpuQuantity.Zero.IsZero);
        Assert.Equal(1, GpuQuantity.Parse("0.5").DevicesCeiling);
        Assert.Equal(2, GpuQuantity.Parse("1.01").DevicesCeiling);
        Assert.Equal(3, GpuQuantity.Parse("3").DevicesCeiling);
    }

    [Fact]
    public void NegativeAmountsCannotBeConstructed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuQuantity.FromDevices(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuQuantity.FromDecimal(-0.5m));
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuQuantity.FromDevices(2) * -1);
    }

    [Fact]
    public void AmountsAddAndScale()
    {
        var half = GpuQuantity.Parse("0.5");
        Assert.Equal("1", (half + half).ToString());
        Assert.Equal("4", (GpuQuantity.FromDevices(2) * 2).ToString()); // 2 workers × slotsPerWorker 2
        Assert.Equal("1.5", (half * 3).ToString());
        Assert.Equal("2.75", GpuQuantity.Sum([half, GpuQuantity.Parse("250m"), 2]).ToString());
        Assert.Equal(GpuQuantity.Zero, GpuQuantity.Sum([]));
    }

    [Fact]
    public void SubtractionNeverGoesBelowZero()
    {
        Assert.Equal("1.5", (GpuQuantity.FromDevices(2) - GpuQuantity.Parse("0.5")).ToString());
        var error = Assert.Throws<InvalidOperationException>(() => GpuQuantity.FromDevices(1) - GpuQuantity.FromDevices(2));
        Assert.Contains("negative", error.Message);
        Assert.Equal(GpuQuantity.Zero, GpuQuantity.SubtractOrZero(4, 8));
        Assert.Equal(GpuQuantity.FromDevices(4), GpuQuantity.SubtractOrZero(12, 8));
    }

    [Fact]
    public void AmountsCompareByValue()
    {
        var half = GpuQuantity.Parse("0.5");
        Assert.Equal(half, GpuQuantity.Parse("500m"));
        Assert.Equal(half.GetHashCode(), GpuQuantity.Parse("0.50").GetHashCode());
        Assert.True(half < GpuQuantity.FromDevices(1));
        Assert.True(GpuQuantity.FromDevices(1) > half);
        Assert.True(half <= GpuQuantity.Parse("500m"));
        Assert.True(half >= GpuQuantity.Parse("500m"));
        Assert.True(half != GpuQuantity.FromDevices(1));
        Assert.Equal(GpuQuantity.FromDevices(2), GpuQuantity.Max(half, 2));
        Assert.Equal(half, GpuQuantity.Min(half, 2));
        Assert.Equal(
            new[] { "0.25", "0.5", "1", "4" },
            new GpuQuantity[] { 4, half, 1, GpuQuantity.Parse("250m") }.Order().Select(q => q.ToString()));
        Assert.Equal(1, half.CompareTo(null));
        Assert.Throws<ArgumentException>(() => half.CompareTo("0.5"));
    }

    private sealed record Holder([property: JsonPropertyName("gpus")] GpuQuantity Gpus, [property: JsonPropertyName("limit")] GpuQuantity? Limit);

    [Theory]
    [InlineData("4", "4")]
    [InlineData("0.5", "0.5")]
    [InlineData("1500m", "1.5")]
    public void SerializesAsAJsonNumber(string text, string json)
    {
        var serialized = KubernetesJson.Serialize(new Holder(GpuQuantity.Parse(text), null));
        Assert.Equal($$"""{"gpus":{{json}}}""", serialized);
    }

    [Theory]
    [InlineData("""{"gpus":0.5}""", "0.5")]
    [InlineData("""{"gpus":4}""", "4")]
    [InlineData("""{"gpus":"500m"}""", "0.5")]
    [InlineData("""{"gpus":"2"}""", "2")]
    public void ReadsJsonNumbersAndQuantityStrings(string json, string expected)
    {
        Assert.Equal(expected, KubernetesJson.Deserialize<Holder>(json).Gpus.ToString());
    }

    [Theory]
    [InlineData("""{"gpus":-1}""", "cannot be negative")]
    [InlineData("""{"gpus":"-1"}""", "cannot be negative")]
    [InlineData("""{"gpus":"lots"}""", "not a number")]
    [InlineData("""{"gpus":true}""", "must be a number or a quantity string")]
    [InlineData("""{"gpus":1e400}""", "out of range")]
    public void BadJsonIsRejectedWithAReason(string json, string reason)
    {
        var error = Assert.ThrowsAny<JsonException>(() => KubernetesJson.Deserialize<Holder>(json));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void AbsentNullableAmountIsLeftOut()
    {
        Assert.Equal("""{"gpus":1,"limit":16}""", KubernetesJson.Serialize(new Holder(1, 16)));
        Assert.Null(KubernetesJson.Deserialize<Holder>("""{"gpus":1}""").Limit);
    }
}
