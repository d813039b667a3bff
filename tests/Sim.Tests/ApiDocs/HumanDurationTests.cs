using Runai.Sim.Api.Tables;

namespace Runai.Sim.Tests.ApiDocs;

public sealed class HumanDurationTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(45, "45s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(192, "3m12s")]
    [InlineData(599, "9m59s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 - 1, "179m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(5 * 3600 + 30 * 60, "5h30m")]
    [InlineData(8 * 3600 + 59 * 60, "8h")]
    [InlineData(47 * 3600, "47h")]
    [InlineData(48 * 3600, "2d")]
    [InlineData(51 * 3600, "2d3h")]
    [InlineData(8 * 86400, "8d")]
    [InlineData(729 * 86400, "729d")]
    [InlineData(730 * 86400, "2y")]
    [InlineData(731 * 86400, "2y1d")]
    [InlineData(9 * 365 * 86400, "9y")]
    public void DurationsAreFormattedAsKubectlShowsThem(long seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void ASecondInTheFutureCountsAsNowButMoreIsInvalid()
    {
        Assert.Equal("0s", HumanDuration.Format(TimeSpan.FromSeconds(-1.5)));
        Assert.Equal("<invalid>", HumanDuration.Format(TimeSpan.FromSeconds(-3)));
    }

    [Fact]
    public void AMissingTimestampIsUnknown() =>
        Assert.Equal("<unknown>", HumanDuration.Since(null, DateTimeOffset.UnixEpoch));

    [Fact]
    public void AgeIsMeasuredFromTheTimestampToNow() =>
        Assert.Equal("5m", HumanDuration.Since("2025-01-01T00:00:00Z", DateTimeOffset.Parse("2025-01-01T00:05:00Z", System.Globalization.CultureInfo.InvariantCulture)));
}
