using k8s.Models;
using Runai.Core.Resources;
using Runai.Exporter.Model;
using Runai.Exporter.Tests.Support;

namespace Runai.Exporter.Tests;

/// <summary>What the exporter's workload informers cache: a slim object, with the facts read from the full one beside it.</summary>
public sealed class WorkloadTransformTests
{
    [Fact]
    public void TheCacheKeepsNameNamespaceAndVersionAndTheFactsOfTheFullObject()
    {
        var job = Objects.Training("train", "team", annotations: Objects.Annotations("Running", "4", "301508", "4", preemptions: "2"));
        job.Metadata.ResourceVersion = "42";
        job.Status = new RunaiWorkloadStatus { StartTime = Objects.T0.AddMinutes(1) };
        var transform = WorkloadTransform.Options<TrainingWorkload>(WorkloadFacts.From).Transform!;

        var cached = transform(job);

        Assert.NotSame(job, cached);
        Assert.Equal(("train", "team", "42"), (cached.Metadata.Name, cached.Metadata.NamespaceProperty, cached.Metadata.ResourceVersion));
        Assert.Null(cached.Metadata.Annotations);
        Assert.Null(cached.Metadata.Labels);
        Assert.Null(cached.Status);
        var facts = WorkloadTransform.FactsOf(cached, WorkloadFacts.From);
        var expected = WorkloadFacts.From(job);
        Assert.Equal(expected with { InvalidAnnotations = [] }, facts with { InvalidAnnotations = [] });
        Assert.Equal(expected.InvalidAnnotations, facts.InvalidAnnotations);
        Assert.Equal(4, facts.AllocatedGpus!.Value.ToDouble());
        Assert.Equal(2, facts.Preemptions);
        Assert.Equal("alice", facts.User);
    }

    [Fact]
    public void AnObjectItsFactsCannotBeReadFromIsCachedWholeSoTheHandlerSeesTheError()
    {
        var job = Objects.Training("train", "team");
        var transform = WorkloadTransform.Options<TrainingWorkload>(_ => throw new FormatException("unreadable")).Transform!;

        Assert.Same(job, transform(job));
        // Not transformed: its facts are read afresh (and the handler counts the error when that throws).
        Assert.Equal("train", WorkloadTransform.FactsOf(job, WorkloadFacts.From).Ref.Name);
    }

    [Fact]
    public void MpiJobsAreSlimmedTheSameWay()
    {
        var job = new MpiJob { Metadata = new V1ObjectMeta { Name = "mpi", NamespaceProperty = "team", ResourceVersion = "7", Annotations = Objects.Annotations("Pending") } };
        var cached = WorkloadTransform.Options<MpiJob>(WorkloadFacts.From).Transform!(job);

        Assert.Null(cached.Metadata.Annotations);
        Assert.Equal("Pending", WorkloadTransform.FactsOf(cached, WorkloadFacts.From).Status);
    }
}
