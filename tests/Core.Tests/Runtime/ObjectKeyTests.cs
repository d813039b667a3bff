using k8s.Models;
using Runai.Core.Runtime;

namespace Runai.Core.Tests.Runtime;

public sealed class ObjectKeyTests
{
    [Fact]
    public void NamespacedObjectsAreKeyedNamespaceSlashName()
    {
        var pod = new V1Pod { Metadata = new V1ObjectMeta { Name = "p", NamespaceProperty = "team-a" } };
        Assert.Equal("team-a/p", ObjectKey.Of(pod));
        Assert.Equal(("team-a", "p"), ObjectKey.Split("team-a/p"));
    }

    [Fact]
    public void ClusterScopedObjectsAreKeyedByName()
    {
        var node = new V1Node { Metadata = new V1ObjectMeta { Name = "n1" } };
        Assert.Equal("n1", ObjectKey.Of(node));
        Assert.Equal(((string?)null, "n1"), ObjectKey.Split("n1"));
    }

    [Fact]
    public void AnObjectWithoutANameHasNoKey()
    {
        var e = Assert.Throws<ArgumentException>(() => ObjectKey.Of(new V1Pod { Kind = "Pod", Metadata = new V1ObjectMeta() }));
        Assert.Contains("Pod", e.Message);
    }

    [Fact]
    public void TheDefaultTransformDropsBookkeepingButKeepsOtherAnnotations()
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta
            {
                Name = "p",
                ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }],
                Annotations = new Dictionary<string, string> { [InformerTransforms.LastAppliedAnnotation] = "{}", ["keep"] = "1" },
            },
        };

        InformerTransforms.DropBookkeeping(pod);

        Assert.Null(pod.Metadata.ManagedFields);
        Assert.Equal(["keep"], pod.Metadata.Annotations.Keys);
    }
}
