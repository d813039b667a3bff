using System.Text.Json.Nodes;
using Runai.Sim.Api;

namespace Runai.Sim.Tests.Rbac;

public sealed class BuiltInResourcesTests
{
    [Fact]
    public void NoGroupServesAPluralOrAKindTwice()
    {
        Assert.DoesNotContain(BuiltInResources.All.GroupBy(d => (d.Group, d.Plural)), g => g.Count() > 1);
        Assert.DoesNotContain(BuiltInResources.All.GroupBy(d => (d.Group, d.Kind)), g => g.Count() > 1);
    }

    [Fact]
    public void NoShortNameIsClaimedByTwoResourcesOfDifferentKinds()
    {
        var clashes = BuiltInResources.All.SelectMany(d => d.ShortNames.Select(s => (s, d.Kind)))
            .GroupBy(x => x.s).Where(g => g.Select(x => x.Kind).Distinct().Count() > 1);
        Assert.Empty(clashes);
    }

    [Theory]
    [InlineData("", "pods", "po")]
    [InlineData("", "services", "svc")]
    [InlineData("", "namespaces", "ns")]
    [InlineData("", "nodes", "no")]
    [InlineData("", "configmaps", "cm")]
    [InlineData("", "serviceaccounts", "sa")]
    [InlineData("", "events", "ev")]
    [InlineData("", "persistentvolumeclaims", "pvc")]
    [InlineData("", "persistentvolumes", "pv")]
    [InlineData("", "resourcequotas", "quota")]
    [InlineData("", "limitranges", "limits")]
    [InlineData("", "endpoints", "ep")]
    [InlineData("", "replicationcontrollers", "rc")]
    [InlineData("apps", "deployments", "deploy")]
    [InlineData("apps", "daemonsets", "ds")]
    [InlineData("apps", "replicasets", "rs")]
    [InlineData("apps", "statefulsets", "sts")]
    [InlineData("batch", "cronjobs", "cj")]
    [InlineData("apiextensions.k8s.io", "customresourcedefinitions", "crd")]
    [InlineData("apiextensions.k8s.io", "customresourcedefinitions", "crds")]
    [InlineData("policy", "poddisruptionbudgets", "pdb")]
    [InlineData("scheduling.k8s.io", "priorityclasses", "pc")]
    [InlineData("storage.k8s.io", "storageclasses", "sc")]
    [InlineData("networking.k8s.io", "ingresses", "ing")]
    [InlineData("networking.k8s.io", "networkpolicies", "netpol")]
    public void ShortNamesAreThoseOfARealServer(string group, string plural, string shortName)
    {
        Assert.Contains(shortName, BuiltInResources.Find(group, plural)!.ShortNames);
    }

    [Fact]
    public void CategoryAllHoldsExactlyTheWorkloadKindsARealServerPutsThere()
    {
        var inAll = BuiltInResources.All.Where(d => d.Categories.Contains("all")).Select(d => d.Plural).Order().ToList();

        Assert.Equal(["cronjobs", "daemonsets", "deployments", "jobs", "pods", "replicasets", "replicationcontrollers", "services", "statefulsets"], inAll);
    }

    [Theory]
    [InlineData("", "namespaces", false)]
    [InlineData("", "nodes", false)]
    [InlineData("", "persistentvolumes", false)]
    [InlineData("", "pods", true)]
    [InlineData("rbac.authorization.k8s.io", "clusterroles", false)]
    [InlineData("rbac.authorization.k8s.io", "rolebindings", true)]
    [InlineData("authorization.k8s.io", "localsubjectaccessreviews", true)]
    [InlineData("authorization.k8s.io", "selfsubjectaccessreviews", false)]
    [InlineData("coordination.k8s.io", "leases", true)]
    [InlineData("scheduling.k8s.io", "priorityclasses", false)]
    public void ScopeIsThatOfARealServer(string group, string plural, bool namespaced)
    {
        Assert.Equal(namespaced, BuiltInResources.Find(group, plural)!.Namespaced);
    }

    [Fact]
    public void ReviewsCanOnlyBeCreated()
    {
        var reviews = BuiltInResources.All.Where(d => d.Kind.EndsWith("Review")).ToList();

        Assert.Equal(5, reviews.Count);
        Assert.All(reviews, d => Assert.Equal(["create"], d.Verbs));
    }

    [Theory]
    [InlineData("", "pods", "status,binding,eviction,log")]
    [InlineData("", "services", "status,proxy")]
    [InlineData("", "serviceaccounts", "token")]
    [InlineData("apps", "deployments", "status,scale")]
    [InlineData("apps", "daemonsets", "status")]
    [InlineData("apiextensions.k8s.io", "customresourcedefinitions", "status")]
    public void SubresourcesIncludeWhatClientsCall(string group, string plural, string subresources)
    {
        var served = BuiltInResources.Find(group, plural)!.Subresources;
        Assert.All(subresources.Split(','), s => Assert.Contains(s, served));
    }

    [Fact]
    public void BuiltInsAreMarkedBuiltInAndAcceptAnyFields()
    {
        Assert.All(BuiltInResources.All, d =>
        {
            Assert.True(d.BuiltIn);
            Assert.Null(d.Schema);
        });
    }

    [Fact]
    public void EventsAreServedInTheCoreAndTheEventsGroups()
    {
        Assert.Equal("v1", BuiltInResources.Find("", "events")!.ApiVersion);
        Assert.Equal("events.k8s.io/v1", BuiltInResources.Find("events.k8s.io", "events")!.ApiVersion);
        Assert.Null(BuiltInResources.Find("apps", "pods"));
    }
}
