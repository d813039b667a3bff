using Runai.Core.Hosting;

namespace Runai.Hosting.Tests;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("15s", 15_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("0", 0)]
    [InlineData("100us", 0.1)]
    public void DurationsReadAsKubernetesFlagsWriteThem(string text, double milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("", "empty duration")]
    [InlineData("15", "has no unit")]
    [InlineData("15x", "unknown unit at 'x'")]
    [InlineData("s", "is not a duration")]
    [InlineData("-5s", "is not a duration")]
    [InlineData("1..5s", "is not a duration")]
    public void MalformedDurationsSayWhatIsWrong(string text, string expected)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
    }
}
