using System.Buffers;
using System.IO.Pipelines;
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
        var pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 512, leaveOpen: true));
        // A small flush size, so the writer's resumption between flushes is exercised on every render.
        var writer = new ExpositionWriter(pipe, flushEvery: 700);
        writer.WriteAsync(model.Families.All, now, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        if (openMetrics) pipe.Write("# EOF\n"u8);
        pipe.FlushAsync().AsTask().GetAwaiter().GetResult();
        pipe.Complete();
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static Support.Exposition Parsed(ClusterModel model, DateTimeOffset now) => Support.Exposition.Parse(Text(model, now));
}
