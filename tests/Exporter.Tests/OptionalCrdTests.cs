using k8s;
using k8s.Models;
using Runai.Core.Resources;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

/// <summary>
/// A cluster without Kubeflow's MPIJob CRD or the scheduler's PodGroup CRD (their own projects install them): the
/// exporter still becomes ready and serves the Run:ai workloads, and MPIJobs appear once their CRD is installed.
/// </summary>
[Collection(Support.InProcessExporters.Name)]
public sealed class OptionalCrdTests(SimApi sim) : IClassFixture<SimApi>
{
    [Fact]
    public async Task WithoutTheMpiJobAndPodGroupCrdsTheExporterIsReadyAndMpiJobsAppearOnceTheirCrdIs()
    {
        var api = sim.Admin;
        var mpiJobs = await RemoveCrdAsync(api, $"{MpiJob.KubePluralName}.{MpiJob.KubeGroup}");
        await RemoveCrdAsync(api, $"{PodGroup.KubePluralName}.{PodGroup.KubeGroup}");
        var ns = await api.NewNamespaceAsync();
        await api.CreateAsync(Objects.Project(ns + "-p", ns, 8, 16));
        await api.CreateAsync(Objects.Training("train", ns, annotations: Objects.Annotations("Running", "4", "0", "4")));

        await using var exporter = await InProcessExporter.StartAsync(api);
        await exporter.WaitUntilSyncedAsync();
        Assert.Equal(200, await exporter.ReadyStatusAsync());
        var e = await exporter.ScrapeParsedAsync();
        Assert.Equal(1, e.Value("runai_workload_status", ("workload", "train"), ("namespace", ns), ("status", "running")));
        Assert.Equal(4, e.Value("runai_project_allocated_gpus", ("project", ns + "-p")));

        // No such kind yet: the API server refuses MPIJobs, and the exporter's MPIJob informer keeps retrying its list.
        var refused = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            api.CustomObjects.CreateNamespacedCustomObjectAsync(Mpi("nccl", ns), MpiJob.KubeGroup, MpiJob.KubeApiVersion, ns, MpiJob.KubePluralName));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, refused.Response.StatusCode);

        // The CRD arrives later (Kubeflow installed after the exporter): the MPIJob informer's retries pick it up.
        await api.ApiextensionsV1.CreateCustomResourceDefinitionAsync(mpiJobs);
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await api.CustomObjects.CreateNamespacedCustomObjectAsync(Mpi("nccl", ns), MpiJob.KubeGroup, MpiJob.KubeApiVersion, ns, MpiJob.KubePluralName);
                return true;
            }
            catch (k8s.Autorest.HttpOperationException)
            {
                return false; // the API server is still registering the new kind
            }
        }, "the MPIJob CRD to serve", 10);
        await Wait.UntilAsync(async () => (await exporter.ScrapeParsedAsync()).Find("runai_workload_status", ("workload", "nccl"), ("namespace", ns), ("status", "pending"))?.Value == 1,
            "the MPIJob's series once its CRD exists", 60);
        e = await exporter.ScrapeParsedAsync();
        Assert.Equal(4, e.Value("runai_workload_requested_gpus", ("workload", "nccl"), ("type", MpiJob.KubeKind)));
        Assert.Equal(1, e.Value("runai_workload_status", ("workload", "train"), ("namespace", ns), ("status", "running")));
    }

    /// <summary>Deletes a CRD and returns it as it can be created again.</summary>
    private static async Task<V1CustomResourceDefinition> RemoveCrdAsync(IKubernetes api, string name)
    {
        var crd = await api.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name);
        await api.ApiextensionsV1.DeleteCustomResourceDefinitionAsync(name);
        await Wait.UntilAsync(async () => (await api.ApiextensionsV1.ListCustomResourceDefinitionAsync()).Items.All(c => c.Metadata.Name != name),
            $"CRD {name} to be gone", 10);
        crd.Metadata = new V1ObjectMeta { Name = name, Labels = crd.Metadata.Labels };
        crd.Status = null;
        return crd;
    }

    private static MpiJob Mpi(string name, string ns) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Annotations = Objects.Annotations("Pending", requested: "4") },
        Spec = new MpiJobSpec
        {
            MpiReplicaSpecs = new Dictionary<string, MpiReplicaSpec>
            {
                [MpiReplicaTypes.Launcher] = new() { Replicas = 1, Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "l", Image = "mpi" }] } } },
                [MpiReplicaTypes.Worker] = new()
                {
                    Replicas = 2,
                    Template = new V1PodTemplateSpec
                    {
                        Spec = new V1PodSpec
                        {
                            Containers = [new V1Container { Name = "w", Image = "mpi", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("2") } } }],
                        },
                    },
                },
            },
        },
    };
}
