using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Exceptions;
using Runai.Cli.Views;
using Runai.Core.Resources;
using Runai.Core.Workloads;

namespace Runai.Cli;

/// <summary>A failure the user can act on: printed as one line on stderr, exit status 1.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>
/// The <c>runai</c> command (SPEC §6): <c>list jobs</c>, <c>describe job</c>, <c>list projects</c>, <c>list nodes</c>,
/// each with <c>-o json</c>. Exit status 0 on success, 1 for an unknown job or project or an unreachable or refusing
/// cluster (one line on stderr naming the problem), 2 for a bad command line.
/// </summary>
internal static class CliApp
{
    public const string Program = "runai";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Kubeconfig file (default: KUBECONFIG, then ~/.kube/config)", Recursive = true };
        var output = new Option<string>("--output", "-o") { Description = "Output format: text, wide or json", Recursive = true, DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "wide", "json");
        var project = new Option<string?>("--project", "-p") { Description = "The project" };
        var allProjects = new Option<bool>("--all-projects", "-A") { Description = "Jobs of every project" };

        var root = new RootCommand("Run:ai-style GPU workloads: jobs, projects and nodes of the cluster") { kubeconfig, output };
        var list = new Command("list", "List jobs, projects or nodes");
        var describe = new Command("describe", "Describe a job");
        root.Add(list);
        root.Add(describe);

        var listJobs = new Command("jobs", "Jobs with status, GPUs and nodes") { project, allProjects };
        listJobs.Aliases.Add("job");
        listJobs.SetAction((r, c) => Guard(stderr, r.GetValue(kubeconfig), async reader =>
        {
            if (r.GetValue(project) is not null && r.GetValue(allProjects))
                throw new UsageException("use -p PROJECT or -A, not both");
            var jobs = await ListJobsAsync(reader, r.GetValue(project), c);
            await WriteAsync(stdout, r.GetValue(output)!, jobs, o => Tables.Jobs(jobs, o == "wide", DateTime.UtcNow));
        }, c));

        var listProjects = new Command("projects", "Projects with GPU quota and use");
        listProjects.Aliases.Add("project");
        listProjects.SetAction((r, c) => Guard(stderr, r.GetValue(kubeconfig), async reader =>
        {
            var projects = await reader.ProjectsAsync(c);
            var pods = await reader.PodsAsync(null, c);
            var views = projects.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p => ProjectView.Of(p, pods)).ToList();
            await WriteAsync(stdout, r.GetValue(output)!, views, _ => Tables.Projects(views));
        }, c));

        var listNodes = new Command("nodes", "Nodes with GPU pool, model, capacity and allocation");
        listNodes.Aliases.Add("node");
        listNodes.SetAction((r, c) => Guard(stderr, r.GetValue(kubeconfig), async reader =>
        {
            var nodes = await reader.NodesAsync(c);
            var pods = await reader.PodsAsync(null, c);
            var views = nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).Select(n => NodeView.Of(n, pods)).ToList();
            await WriteAsync(stdout, r.GetValue(output)!, views, _ => Tables.Nodes(views));
        }, c));

        list.Add(listJobs);
        list.Add(listProjects);
        list.Add(listNodes);

        var jobName = new Argument<string>("NAME") { Description = "The job's name" };
        var describeProject = new Option<string?>("--project", "-p") { Description = "The job's project" };
        var describeJob = new Command("job", "A job's status, GPUs, pods, pending reason and recent events") { jobName, describeProject };
        describeJob.SetAction((r, c) => Guard(stderr, r.GetValue(kubeconfig), async reader =>
        {
            var description = await DescribeJobAsync(reader, r.GetValue(jobName)!, r.GetValue(describeProject), c);
            await WriteAsync(stdout, r.GetValue(output)!, description, _ => description.Render(DateTime.UtcNow));
        }, c));
        describe.Add(describeJob);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await stderr.WriteLineAsync($"{Program}: {error.Message}");
            await stderr.WriteLineAsync($"Run '{Program} --help' for usage.");
            return 2;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, ct);
    }

    private static async Task<IReadOnlyList<JobView>> ListJobsAsync(ClusterReader reader, string? projectName, CancellationToken ct)
    {
        var projects = await reader.ProjectsAsync(ct);
        string? ns = null;
        if (projectName is not null) ns = Find(projects, projectName).EffectiveNamespace;
        var workloads = reader.WorkloadsAsync(ns, ct);
        var pods = reader.PodsAsync(ns, ct);
        var nodes = reader.NodesAsync(ct);
        var groups = reader.PodGroupsAsync(ns, ct);
        await Task.WhenAll(workloads, pods, nodes, groups);
        var memory = nodes.Result.ToDictionary(n => n.Metadata.Name, WorkloadObservation.GpuMemoryOf, StringComparer.Ordinal);
        var podsOf = pods.Result.Select(p => (Workload: WorkloadIdentity.Of(p), Pod: p)).Where(x => x.Workload is not null)
            .ToLookup(x => x.Workload!.Value, x => x.Pod);
        return workloads.Result.Select(w =>
        {
            var id = new WorkloadRef(w.Kind.Kind, w.Namespace, w.Name);
            var group = groups.Result.FirstOrDefault(g => g.Metadata.NamespaceProperty == w.Namespace && g.Metadata.Name == PodGroup.NameFor(w.Kind.Kind, w.Name));
            return JobView.Of(w, ProjectOf(projects, w.Namespace), podsOf[id].ToList(), n => memory.GetValueOrDefault(n), group);
        }).ToList();
    }

    private static async Task<JobDescription> DescribeJobAsync(ClusterReader reader, string name, string? projectName, CancellationToken ct)
    {
        var projects = await reader.ProjectsAsync(ct);
        var ns = projectName is null ? null : Find(projects, projectName).EffectiveNamespace;
        var workloads = (await reader.WorkloadsAsync(ns, ct)).Where(w => w.Name == name).ToList();
        if (workloads.Count == 0)
            throw new CliException(projectName is null ? $"job \"{name}\" not found in any project" : $"job \"{name}\" not found in project \"{projectName}\"");
        if (workloads.Select(w => w.Namespace).Distinct().Count() > 1)
            throw new CliException($"job \"{name}\" exists in several projects ({string.Join(", ", workloads.Select(w => ProjectOf(projects, w.Namespace)).Distinct())}); name one with -p");
        var workload = workloads[0]; // the same name in two kinds of one namespace: MPIJob first, then the Run:ai kinds
        var id = new WorkloadRef(workload.Kind.Kind, workload.Namespace, workload.Name);
        var pods = (await reader.PodsAsync(workload.Namespace, ct)).Where(p => WorkloadIdentity.Of(p) == id).ToList();
        var nodes = (await reader.NodesAsync(ct)).ToDictionary(n => n.Metadata.Name, WorkloadObservation.GpuMemoryOf, StringComparer.Ordinal);
        var groupName = PodGroup.NameFor(workload.Kind.Kind, workload.Name);
        var group = (await reader.PodGroupsAsync(workload.Namespace, ct)).FirstOrDefault(g => g.Metadata.Name == groupName);
        var view = JobView.Of(workload, ProjectOf(projects, workload.Namespace), pods, n => nodes.GetValueOrDefault(n), group);
        var events = await reader.EventsAsync(workload.Namespace, ct);
        return JobDescription.Of(view, pods, events, groupName);
    }

    private static Project Find(IReadOnlyList<Project> projects, string name) =>
        projects.FirstOrDefault(p => p.Metadata.Name == name)
        ?? throw new CliException($"project \"{name}\" not found" + (projects.Count == 0
            ? " (the cluster has no projects)"
            : $" (projects: {string.Join(", ", projects.Select(p => p.Metadata.Name).Order(StringComparer.Ordinal))})"));

    private static string ProjectOf(IReadOnlyList<Project> projects, string ns) =>
        projects.FirstOrDefault(p => p.EffectiveNamespace == ns)?.Metadata.Name ?? "-";

    private static async Task WriteAsync<T>(TextWriter stdout, string output, T value, Func<string, string> text)
    {
        if (output == "json") await stdout.WriteLineAsync(JsonSerializer.Serialize(value, Json));
        else await stdout.WriteAsync(text(output));
    }

    /// <summary>Connects, runs the command, and turns every expected failure into one stderr line and an exit status.</summary>
    private static async Task<int> Guard(TextWriter stderr, string? kubeconfig, Func<ClusterReader, Task> command, CancellationToken ct)
    {
        KubernetesClientConfiguration config;
        try
        {
            config = LoadConfig(kubeconfig);
        }
        catch (Exception e) when (e is KubeConfigException or IOException or UnauthorizedAccessException or CliException)
        {
            await stderr.WriteLineAsync($"{Program}: cannot load the kubeconfig: {e.Message}");
            return 1;
        }

        config.HttpClientTimeout = TimeSpan.FromSeconds(15);
        using var api = new Kubernetes(config);
        try
        {
            await command(new ClusterReader(api));
            return 0;
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"{Program}: {e.Message}");
            return 2;
        }
        catch (CliException e)
        {
            await stderr.WriteLineAsync($"{Program}: {e.Message}");
            return 1;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            await stderr.WriteLineAsync($"{Program}: the Kubernetes API at {config.Host} refused the request ({(int)e.Response.StatusCode} {e.Response.ReasonPhrase}): {e.Request?.Method} {e.Request?.RequestUri?.AbsolutePath}");
            return 1;
        }
        catch (HttpOperationException e)
        {
            await stderr.WriteLineAsync($"{Program}: the Kubernetes API at {config.Host} answered {(int)e.Response.StatusCode} to {e.Request?.Method} {e.Request?.RequestUri?.AbsolutePath}");
            return 1;
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? "no answer within 15 s" : Innermost(e).Message;
            await stderr.WriteLineAsync($"{Program}: cannot reach the Kubernetes API at {config.Host}: {reason}");
            return 1;
        }
    }

    private static KubernetesClientConfiguration LoadConfig(string? path)
    {
        path ??= Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        path ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (!File.Exists(path)) throw new CliException($"no such file {path} (give --kubeconfig or set KUBECONFIG)");
        return KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    private sealed class UsageException(string message) : Exception(message);
}
