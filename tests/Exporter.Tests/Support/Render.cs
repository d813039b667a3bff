using System.Text;
using Runai.Exporter.Exposition;
using Runai.Exporter.Model;

namespace Runai.Exporter.Tests.Support;

internal static class Render
{
    /// <summary>The model's series as a scrape would write them at <paramref name="now"/>.</summary>
    public static string Text(ClusterModel model, DateTimeOffset now, bool openMetrics = false)
    {
        using var stream = new MemoryStream();
        var writer = new ExpositionWriter(stream, bufferSize: 1024);
        writer.WriteAsync(model.Families.All, now, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (openMetrics) writer.AppendAsync("# EOF\n"u8.ToArray(), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        writer.FlushAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
        writer.Release();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static Support.Exposition Parsed(ClusterModel model, DateTimeOffset now) => Support.Exposition.Parse(Text(model, now));
}
