using System.Globalization;
using System.Text.Json.Nodes;
using Runai.Sim.Api.Tables;

namespace Runai.Sim.Tests.ApiDocs;

/// <summary>The pod row across its lifecycle: READY, STATUS and RESTARTS as kubectl get pods shows them.</summary>
public sealed class PodStatusColumnTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2025-06-01T12:00:00Z", CultureInfo.InvariantCulture);

    private static JsonObject Pod(string statusJson, string? containersJson = null, string? metadataExtra = null, string? initContainersJson = null)
    {
        var spec = $$"""{"containers": {{containersJson ?? """[{"name": "main", "image": "busybox"}]"""}}{{(initContainersJson is null ? "" : $", \"initContainers\": {initContainersJson}")}}, "nodeName": "node-1"}""";
        return JsonNode.Parse($$"""
            {
              "apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "p", "namespace": "default", "creationTimestamp": "2025-06-01T11:55:00Z"{{metadataExtra ?? ""}}},
              "spec": {{spec}},
              "status": {{statusJson}}
            }
            """)!.AsObject();
    }

    private static IReadOnlyList<JsonNode?> Cells(JsonObject pod) => PodPrinter.Print(pod, Now).Cells;

    private static string Status(JsonObject pod) => Cells(pod)[2]!.GetValue<string>();

    [Fact]
    public void AnUnscheduledPodIsPending()
    {
        var cells = Cells(Pod("""{"phase": "Pending"}"""));
        Assert.Equal("0/1", cells[1]!.GetValue<string>());
        Assert.Equal("Pending", cells[2]!.GetValue<string>());
        Assert.Equal("0", cells[3]!.GetValue<string>());
        Assert.Equal("5m", cells[4]!.GetValue<string>());
    }

    [Fact]
    public void APodWhoseContainerIsBeingCreatedShowsContainerCreating() =>
        Assert.Equal("ContainerCreating", Status(Pod("""
            {"phase": "Pending", "containerStatuses": [{"name": "main", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}}]}
            """)));

    [Fact]
    public void ARunningReadyPodCountsItsReadyContainers()
    {
        var cells = Cells(Pod("""
            {"phase": "Running", "podIPs": [{"ip": "10.0.0.7"}], "containerStatuses": [
              {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {"startedAt": "2025-06-01T11:56:00Z"}}},
              {"name": "b", "ready": false, "restartCount": 0, "state": {"running": {"startedAt": "2025-06-01T11:56:00Z"}}}]}
            """, """[{"name": "a"}, {"name": "b"}]"""));
        Assert.Equal("1/2", cells[1]!.GetValue<string>());
        Assert.Equal("Running", cells[2]!.GetValue<string>());
        Assert.Equal("10.0.0.7", cells[5]!.GetValue<string>());
        Assert.Equal("node-1", cells[6]!.GetValue<string>());
        Assert.Equal("<none>", cells[7]!.GetValue<string>());
        Assert.Equal("<none>", cells[8]!.GetValue<string>());
    }

    [Fact]
    public void ASucceededPodShowsCompletedAndCarriesTheCompletedRowCondition()
    {
        var row = PodPrinter.Print(Pod("""
            {"phase": "Succeeded", "containerStatuses": [{"name": "main", "ready": false, "restartCount": 0,
              "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
            """), Now);
        Assert.Equal("Completed", row.Cells[2]!.GetValue<string>());
        Assert.Equal("0/1", row.Cells[1]!.GetValue<string>());
        var condition = Assert.Single(row.Conditions!)!;
        Assert.Equal("Completed", (string?)condition["type"]);
        Assert.Equal("Succeeded", (string?)condition["reason"]);
    }

    [Fact]
    public void AFailedContainerShowsError() =>
        Assert.Equal("Error", Status(Pod("""
            {"phase": "Failed", "containerStatuses": [{"name": "main", "restartCount": 0, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
            """)));

    [Fact]
    public void AnOomKilledContainerShowsOomKilled() =>
        Assert.Equal("OOMKilled", Status(Pod("""
            {"phase": "Failed", "containerStatuses": [{"name": "main", "restartCount": 0, "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
            """)));

    [Fact]
    public void ATerminatedContainerWithoutReasonShowsItsExitCodeOrSignal()
    {
        Assert.Equal("ExitCode:3", Status(Pod("""
            {"phase": "Failed", "containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 3}}}]}
            """)));
        Assert.Equal("Signal:9", Status(Pod("""
            {"phase": "Failed", "containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]}
            """)));
    }

    [Fact]
    public void ACrashLoopingContainerShowsCrashLoopBackOffAndWhenItLastRestarted()
    {
        var cells = Cells(Pod("""
            {"phase": "Running", "containerStatuses": [{"name": "main", "ready": false, "restartCount": 3,
              "state": {"waiting": {"reason": "CrashLoopBackOff"}},
              "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "finishedAt": "2025-06-01T11:59:35Z"}}}]}
            """));
        Assert.Equal("CrashLoopBackOff", cells[2]!.GetValue<string>());
        Assert.Equal("3 (25s ago)", cells[3]!.GetValue<string>());
    }

    [Fact]
    public void RestartsWithoutATerminationTimeAreJustTheCount() =>
        Assert.Equal("2", Cells(Pod("""
            {"phase": "Running", "containerStatuses": [{"name": "main", "ready": true, "restartCount": 2, "state": {"running": {}}}]}
            """))[3]!.GetValue<string>());

    [Fact]
    public void ADeletedRunningPodIsTerminating() =>
        Assert.Equal("Terminating", Status(Pod("""
            {"phase": "Running", "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0, "state": {"running": {}}}]}
            """, metadataExtra: """, "deletionTimestamp": "2025-06-01T11:59:00Z" """)));

    [Fact]
    public void ADeletedFinishedPodKeepsItsFinalStatus() =>
        Assert.Equal("Completed", Status(Pod("""
            {"phase": "Succeeded", "containerStatuses": [{"name": "main", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}
            """, metadataExtra: """, "deletionTimestamp": "2025-06-01T11:59:00Z" """)));

    [Fact]
    public void ADeletedPodOnALostNodeIsUnknown() =>
        Assert.Equal("Unknown", Status(Pod("""{"phase": "Running", "reason": "NodeLost"}""",
            metadataExtra: """, "deletionTimestamp": "2025-06-01T11:59:00Z" """)));

    [Fact]
    public void APodWaitingForItsSecondInitContainerShowsInitProgress() =>
        Assert.Equal("Init:1/2", Status(Pod("""
            {"phase": "Pending",
             "initContainerStatuses": [
               {"name": "i1", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
               {"name": "i2", "state": {"running": {}}}],
             "containerStatuses": [{"name": "main", "state": {"waiting": {"reason": "PodInitializing"}}}]}
            """, initContainersJson: """[{"name": "i1"}, {"name": "i2"}]""")));

    [Fact]
    public void AFailingInitContainerShowsItsReason()
    {
        Assert.Equal("Init:CrashLoopBackOff", Status(Pod("""
            {"phase": "Pending", "initContainerStatuses": [{"name": "i1", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}
            """, initContainersJson: """[{"name": "i1"}]""")));
        Assert.Equal("Init:Error", Status(Pod("""
            {"phase": "Failed", "initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
            """, initContainersJson: """[{"name": "i1"}]""")));
        Assert.Equal("Init:ExitCode:2", Status(Pod("""
            {"phase": "Pending", "initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 2}}}]}
            """, initContainersJson: """[{"name": "i1"}]""")));
    }

    [Fact]
    public void AStartedSidecarInitContainerCountsTowardsReady()
    {
        var cells = Cells(Pod("""
            {"phase": "Running",
             "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
             "initContainerStatuses": [{"name": "proxy", "started": true, "ready": true, "restartCount": 1, "state": {"running": {}}}],
             "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0, "state": {"running": {}}}]}
            """, initContainersJson: """[{"name": "proxy", "restartPolicy": "Always"}]"""));
        Assert.Equal("2/2", cells[1]!.GetValue<string>());
        Assert.Equal("Running", cells[2]!.GetValue<string>());
        Assert.Equal("1", cells[3]!.GetValue<string>());
    }

    [Fact]
    public void ACompletedContainerBesideARunningOneShowsRunningWhenThePodIsReady()
    {
        const string Statuses = """
            [{"name": "a", "ready": true, "state": {"running": {}}},
             {"name": "b", "ready": false, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]
            """;
        Assert.Equal("Running", Status(Pod($$"""{"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": {{Statuses}}}""",
            """[{"name": "a"}, {"name": "b"}]""")));
        Assert.Equal("NotReady", Status(Pod($$"""{"phase": "Running", "containerStatuses": {{Statuses}}}""",
            """[{"name": "a"}, {"name": "b"}]""")));
    }

    [Fact]
    public void ASchedulingGatedPodSaysSo() =>
        Assert.Equal("SchedulingGated", Status(Pod("""
            {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}
            """)));

    [Fact]
    public void ReadinessGatesCountTheTrueConditions()
    {
        var pod = Pod("""
            {"phase": "Running", "conditions": [{"type": "example.com/ready", "status": "True"}, {"type": "example.com/other", "status": "False"}]}
            """);
        pod["spec"]!["readinessGates"] = JsonNode.Parse("""[{"conditionType": "example.com/ready"}, {"conditionType": "example.com/other"}]""");
        Assert.Equal("1/2", Cells(pod)[8]!.GetValue<string>());
    }
}
