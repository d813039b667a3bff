using System.Text.Json;
using Runai.NodeDaemon.Attribution;

namespace Runai.NodeDaemon.Tests.Attribution;

public sealed class PodWorkloadTests
{
    private static string Of(string podJson)
    {
        using var doc = JsonDocument.Parse(podJson);
        return PodWorkload.Of(doc.RootElement);
    }

    [Fact]
    public void RunaiLabelsNameTheWorkloadFirst() =>
        Assert.Equal("train-a", Of("""{"metadata":{"labels":{"runai/workload-name":"train-a","runai/workload-kind":"TrainingWorkload","training.kubeflow.org/job-name":"other"}}}"""));

    [Fact]
    public void AnUnknownWorkloadKindDoesNotCount() =>
        Assert.Equal("", Of("""{"metadata":{"labels":{"runai/workload-name":"x","runai/workload-kind":"Deployment"}}}"""));

    [Fact]
    public void AnMpiJobPodIsNamedByItsKubeflowJobLabel()
    {
        Assert.Equal("nccl", Of("""{"metadata":{"labels":{"training.kubeflow.org/job-name":"nccl","training.kubeflow.org/operator-name":"mpi-operator"}}}"""));
        Assert.Equal("nccl", Of("""{"metadata":{"labels":{"training.kubeflow.org/job-name":"nccl"},"ownerReferences":[{"kind":"MPIJob","apiVersion":"kubeflow.org/v2beta1","name":"nccl"}]}}"""));
        // Another Kubeflow operator's job is not an MPIJob.
        Assert.Equal("", Of("""{"metadata":{"labels":{"training.kubeflow.org/job-name":"tf","training.kubeflow.org/operator-name":"tfjob-controller"}}}"""));
    }

    [Fact]
    public void AControllerOwnerOfAWorkloadKindNamesIt()
    {
        Assert.Equal("job-1", Of("""{"metadata":{"ownerReferences":[{"kind":"RunaiJob","apiVersion":"run.ai/v2alpha1","name":"job-1","controller":true}]}}"""));
        Assert.Equal("", Of("""{"metadata":{"ownerReferences":[{"kind":"RunaiJob","apiVersion":"run.ai/v2alpha1","name":"job-1","controller":false}]}}"""));
        Assert.Equal("", Of("""{"metadata":{"ownerReferences":[{"kind":"ReplicaSet","apiVersion":"apps/v1","name":"rs","controller":true}]}}"""));
    }

    [Fact]
    public void APodOfNoWorkloadHasAnEmptyName() => Assert.Equal("", Of("""{"metadata":{"name":"lonely"}}"""));
}
