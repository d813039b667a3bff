using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance.Support;

/// <summary>
/// The cases through Debian's kubectl as an operator types them. Every command runs at -v=6 so the HTTP code the server
/// answered is known too; errors are what kubectl printed (<c>Error from server (NotFound): …</c>).
/// </summary>
public sealed partial class KubectlDriver(SimClusterFixture cluster, string? token = null) : IApiDriver
{
    public string Name => "kubectl";

    public Task<Outcome> CreateAsync(Manifest m) => RunAsync(m.Body.ToJsonString(), "create", "-f", "-", "-o", "json");

    // kubectl hides managedFields unless asked; the apply case reads them.
    private const string ManagedFields = "--show-managed-fields";

    public Task<Outcome> GetAsync(ObjectRef r) => RunAsync(null, [.. Target(r), "-o", "json"]);

    public Task<Outcome> ListAsync(Kind kind, string ns, string? labelSelector = null, string? fieldSelector = null)
    {
        List<string> args = ["get", kind.KubectlResource, "-o", "json"];
        if (kind.Namespaced)
        {
            args.AddRange(["-n", ns]);
        }

        if (labelSelector is not null)
        {
            args.AddRange(["-l", labelSelector]);
        }

        if (fieldSelector is not null)
        {
            args.AddRange(["--field-selector", fieldSelector]);
        }

        return RunAsync(null, [.. args]);
    }

    public Task<Outcome> ReplaceAsync(Manifest m) => RunAsync(m.Body.ToJsonString(), "replace", "-f", "-", "-o", "json");

    public Task<Outcome> PatchAsync(ObjectRef r, PatchKind kind, string patch, bool status = false)
    {
        List<string> args = ["patch", .. Target(r)[1..], "--type", kind.ToString().ToLowerInvariant(), "-p", patch, "-o", "json"];
        if (status)
        {
            args.Add("--subresource=status");
        }

        return RunAsync(null, [.. args]);
    }

    public Task<Outcome> ApplyAsync(Manifest m, string fieldManager, bool force = false)
    {
        List<string> args = ["apply", "--server-side", $"--field-manager={fieldManager}", "-f", "-", "-o", "json", ManagedFields];
        if (force)
        {
            args.Add("--force-conflicts");
        }

        return RunAsync(m.Body.ToJsonString(), [.. args]);
    }

    public Task<Outcome> DeleteAsync(ObjectRef r, string? propagationPolicy = null)
    {
        List<string> args = ["delete", .. Target(r)[1..], "--wait=false"];
        if (propagationPolicy is not null)
        {
            args.Add($"--cascade={propagationPolicy.ToLowerInvariant()}");
        }

        return RunAsync(null, [.. args]);
    }

    public async Task<Outcome> BindAsync(string ns, string pod, string node)
    {
        // kubectl has no binding command; a scheduler's request is sent as it is with `create --raw`.
        var file = Path.Combine(cluster.Cluster.RunDirectory, $"binding-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Binding",
            ["metadata"] = new JsonObject { ["name"] = pod },
            ["target"] = new JsonObject { ["kind"] = "Node", ["name"] = node },
        }.ToJsonString());
        return await RunAsync(null, "create", "--raw", $"/api/v1/namespaces/{ns}/pods/{pod}/binding", "-f", file);
    }

    public async Task<bool> CanIAsync(string user, string verb, string resource, string ns)
    {
        var result = await cluster.KubectlAsync(WithIdentity(["auth", "can-i", $"--as={user}", verb, resource, "-n", ns]));
        return result.Stdout.Trim() switch
        {
            "yes" => true,
            "no" => false,
            _ => throw new Xunit.Sdk.XunitException($"kubectl auth can-i answered neither yes nor no: {result}"),
        };
    }

    public Task<IWatchStream> WatchPodsAsync(string ns, string resourceVersion)
    {
        // `kubectl get -w` lists first (existing pods show as ADDED) and then prints a row per change.
        var process = KubectlProcess.Start(cluster, WithIdentity(["get", "pods", "-n", ns, "-w", "--output-watch-events", "--request-timeout=60s"]));
        return Task.FromResult<IWatchStream>(new KubectlWatch(process));
    }

    private sealed class KubectlWatch(KubectlProcess process) : IWatchStream
    {
        public async Task<SeenEvent> NextAsync(TimeSpan timeout)
        {
            while (true)
            {
                var line = await process.NextLineAsync(timeout);
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (columns.Length >= 2 && columns[0] != "EVENT")
                {
                    return new SeenEvent(columns[0], columns[1]);
                }
            }
        }

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }

    private static string[] Target(ObjectRef r) => r.Kind.Namespaced
        ? ["get", r.Kind.KubectlResource, r.Name, "-n", r.Namespace]
        : ["get", r.Kind.KubectlResource, r.Name];

    private string[] WithIdentity(string[] args) => token is null ? args : [$"--token={token}", .. args];

    /// <summary>Runs kubectl at -v=6 and reads its answer: the JSON it printed, or the error and the HTTP code behind it.</summary>
    public async Task<Outcome> RunAsync(string? stdin, params string[] args)
    {
        var result = await cluster.KubectlWithInputAsync(stdin, WithIdentity(["-v=6", .. args]));
        if (result.ExitCode == 0)
        {
            var text = result.Stdout.Trim();
            return Outcome.Of(text.StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : new JsonObject { ["printed"] = text });
        }

        return Outcome.Failed(ParseError(result));
    }

    /// <summary>kubectl's error line, by the shapes it prints a server's Status in.</summary>
    public static ApiError ParseError(KubectlResult result)
    {
        var lines = result.Stderr.Split('\n').Where(l => l.Length > 0 && !KlogLine().IsMatch(l)).ToList();
        var printed = string.Join('\n', lines);
        var codes = ResponseLine().Matches(result.Stderr).Select(m => int.Parse(m.Groups["code"].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int? code = codes.LastOrDefault(c => c >= 400) is var c and > 0 ? c : null;
        foreach (var line in lines)
        {
            if (FromServer().Match(line) is { Success: true } m)
            {
                return new ApiError(code, m.Groups["reason"].Value, Unwrap(m.Groups["message"].Value), line);
            }

            if (line.StartsWith("error: Apply failed with", StringComparison.Ordinal))
            {
                return new ApiError(code, "Conflict", printed, printed);
            }

            if (Invalid().IsMatch(line) || line.StartsWith("The request is invalid", StringComparison.Ordinal))
            {
                return new ApiError(code, "Invalid", line, line);
            }
        }

        return new ApiError(code, "(unrecognised)", printed, printed);
    }

    private static string Unwrap(string message) => ErrorWhen().Replace(message, "");

    [GeneratedRegex(@"^[IWEF]\d{4} ")]
    private static partial Regex KlogLine();

    [GeneratedRegex(@"\] (GET|POST|PUT|PATCH|DELETE) \S+ (?<code>\d{3}) ")]
    private static partial Regex ResponseLine();

    [GeneratedRegex(@"^Error from server \((?<reason>\w+)\): (?<message>.*)$")]
    private static partial Regex FromServer();

    [GeneratedRegex(@"^The \w+ ""[^""]*"" is invalid")]
    private static partial Regex Invalid();

    [GeneratedRegex(@"^error when \w+ ""[^""]*"": ")]
    private static partial Regex ErrorWhen();
}
