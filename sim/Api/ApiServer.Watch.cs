using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Runai.Sim.Api.Storage;
using Runai.Sim.Api.Tables;

namespace Runai.Sim.Api;

internal sealed partial class ApiServer
{
    /// <summary>
    /// A watch stream: newline-delimited JSON events. Without a resourceVersion (or "0") it starts with ADDED events for
    /// what exists; with one it replays from history, or answers an ERROR event with a 410 Status when that is compacted.
    /// Label and field selectors turn objects that start or stop matching into ADDED / DELETED, as the real server does.
    /// </summary>
    private async Task WatchAsync(HttpContext ctx, ResourceDefinition def, string ns, string name)
    {
        var q = ctx.Request.Query;
        var labels = LabelSelector.Parse(q["labelSelector"]);
        var fields = FieldSelector.Parse(q["fieldSelector"]);
        var pinnedName = name.Length > 0 ? name : fields.PinnedName;
        var bookmarks = IsTrue(q["allowWatchBookmarks"]);
        var timeout = ParseLong(q["timeoutSeconds"], "timeoutSeconds") is { } t and > 0 ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        var rvText = q["resourceVersion"].ToString();
        var sendInitial = IsTrue(q["sendInitialEvents"]);
        long fromRv = 0;
        if (rvText.Length > 0 && !long.TryParse(rvText, NumberStyles.None, CultureInfo.InvariantCulture, out fromRv))
        {
            throw ApiException.BadRequest($"resourceVersion: Invalid value: \"{rvText}\": must be a non-negative integer");
        }

        var asTable = WantsTable(ctx, out var include);
        var nsFilter = ns.Length > 0 ? ns : null;

        bool Matches(StoredObject o) =>
            (pinnedName is null || o.Name == pinnedName) && labels.Matches(o.Labels) && fields.Matches(o);

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-cache, private";
        WriteWarnings(ctx);
        var body = ctx.Response.Body;

        Watcher watcher;
        var initial = new List<StoredObject>();
        try
        {
            if (fromRv == 0 || sendInitial)
            {
                var (items, rev) = ops.Store.List(def.GroupResource, nsFilter);
                initial.AddRange(items.Where(Matches));
                watcher = ops.Store.Watch(def.GroupResource, nsFilter, rev);
            }
            else
            {
                watcher = ops.Store.Watch(def.GroupResource, nsFilter, fromRv);
            }
        }
        catch (ApiException e) when (e.Code == 410)
        {
            await WriteEventAsync(body, "ERROR", JsonSerializer.SerializeToUtf8Bytes(e.ToStatus()), ctx.RequestAborted);
            return;
        }

        using var _ = watcher;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        cts.CancelAfter(timeout);
        var ct = cts.Token;
        var lastRv = watcher.StartedAt;
        try
        {
            foreach (var o in initial)
            {
                await WriteObjectEventAsync(body, def, "ADDED", o, asTable, include, ct);
            }

            if (sendInitial && bookmarks)
            {
                await WriteBookmarkAsync(body, def, watcher.StartedAt, initialEventsEnd: true, ct);
            }

            await body.FlushAsync(ct);
            var nextBookmark = time.GetUtcNow() + options.BookmarkInterval;
            while (!ct.IsCancellationRequested)
            {
                var wait = nextBookmark - time.GetUtcNow();
                using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                waitCts.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                bool any;
                try
                {
                    any = await watcher.Events.WaitToReadAsync(waitCts.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    any = true; // bookmark time
                }

                if (!any)
                {
                    // Channel completed: the watcher overflowed or its resource went away. The client re-watches.
                    break;
                }

                var wrote = false;
                while (watcher.Events.TryRead(out var e))
                {
                    watcher.Taken();
                    lastRv = e.ResourceVersion;
                    var type = Classify(e, Matches);
                    if (type is not null)
                    {
                        await WriteObjectEventAsync(body, def, type, e.Object, asTable, include, ct);
                        wrote = true;
                    }
                }

                if (bookmarks && time.GetUtcNow() >= nextBookmark)
                {
                    var rv = ops.Store.SafeBookmark(watcher) ?? lastRv;
                    await WriteBookmarkAsync(body, def, rv, initialEventsEnd: false, ct);
                    nextBookmark = time.GetUtcNow() + options.BookmarkInterval;
                    wrote = true;
                }

                if (wrote)
                {
                    await body.FlushAsync(ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds elapsed or the client left: end the stream cleanly.
        }
        catch (IOException)
        {
            // client connection dropped
        }
    }

    private static string? Classify(StoreEvent e, Func<StoredObject, bool> matches)
    {
        var now = matches(e.Object);
        var before = e.Previous is not null && matches(e.Previous);
        return e.Type switch
        {
            WatchEventType.Added => now ? "ADDED" : null,
            WatchEventType.Deleted => before || now ? "DELETED" : null,
            _ => (now, before) switch
            {
                (true, true) => "MODIFIED",
                (true, false) => "ADDED",
                (false, true) => "DELETED",
                _ => null,
            },
        };
    }

    private async Task WriteObjectEventAsync(Stream body, ResourceDefinition def, string type, StoredObject o, bool asTable, string include, CancellationToken ct)
    {
        var bytes = asTable
            ? JsonSerializer.SerializeToUtf8Bytes(TableRenderer.Render(def, [o.ToJsonObject()], o.ResourceVersion.ToString(CultureInfo.InvariantCulture), null, include, time.GetUtcNow()))
            : o.Json;
        await WriteEventAsync(body, type, bytes, ct);
    }

    private static async Task WriteBookmarkAsync(Stream body, ResourceDefinition def, long rv, bool initialEventsEnd, CancellationToken ct)
    {
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            meta["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        var obj = new JsonObject { ["kind"] = def.Kind, ["apiVersion"] = def.ApiVersion, ["metadata"] = meta };
        await WriteEventAsync(body, "BOOKMARK", JsonSerializer.SerializeToUtf8Bytes(obj), ct);
    }

    private static async Task WriteEventAsync(Stream body, string type, byte[] objectJson, CancellationToken ct)
    {
        var head = Encoding.UTF8.GetBytes("{\"type\":\"" + type + "\",\"object\":");
        await body.WriteAsync(head, ct);
        await body.WriteAsync(objectJson, ct);
        await body.WriteAsync("}\n"u8.ToArray(), ct);
    }
}
