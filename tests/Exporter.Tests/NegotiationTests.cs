using Runai.Exporter.Exposition;

namespace Runai.Exporter.Tests;

public sealed class NegotiationTests
{
    [Theory]
    [InlineData(null, "text")]
    [InlineData("", "text")]
    [InlineData("*/*", "text")]
    [InlineData("text/plain", "text")]
    [InlineData("application/openmetrics-text", "openmetrics")]
    // What Prometheus 2.x sends by default.
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "openmetrics")]
    [InlineData("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5", "text")]
    [InlineData("application/json", "text")]
    public void PicksTheFormatTheScraperPrefers(string? accept, string expected) =>
        Assert.Equal(expected, ExpositionFormats.Negotiate(accept) == ExpositionFormat.OpenMetrics ? "openmetrics" : "text");
}
