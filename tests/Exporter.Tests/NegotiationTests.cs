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
    // An unreadable quality is ignored; garbage from a scraper gets the text format, not an error.
    [InlineData("application/openmetrics-text;q=high", "openmetrics")]
    [InlineData(";;,,\u00e9/\u00e9", "text")]
    public void PicksTheFormatTheScraperPrefers(string? accept, string expected) =>
        Assert.Equal(expected, ExpositionFormats.Negotiate(accept) == ExpositionFormat.OpenMetrics ? "openmetrics" : "text");

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("identity", false)]
    // What Prometheus sends by default.
    [InlineData("gzip", true)]
    [InlineData("GZIP", true)]
    [InlineData("x-gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("br;q=1.0, gzip;q=0.8, *;q=0.1", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("*", true)]
    [InlineData("*;q=0", false)]
    [InlineData("gzip;q=0, *", false)]
    [InlineData("deflate", false)]
    [InlineData("gzip;q=lots", false)]
    [InlineData(",;=", false)]
    public void TakesGzipOnlyWhenTheScraperAcceptsIt(string? acceptEncoding, bool expected) =>
        Assert.Equal(expected, ExpositionFormats.AcceptsGzip(acceptEncoding));
}
