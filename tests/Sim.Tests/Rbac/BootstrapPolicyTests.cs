using Runai.Sim.Api.Rbac;
using Runai.Sim.Tests.Rbac.Support;
using static Runai.Sim.Tests.Rbac.Support.RbacObjects;

namespace Runai.Sim.Tests.Rbac;

public sealed class BootstrapPolicyTests
{
    static RequestAttributes Res(string verb, string resource, string ns = "", string group = "", string sub = "") =>
        RequestAttributes.ForResource(verb, group, resource, ns, "x", sub);

    static (FakeRbacStore Store, RbacAuthorizer Authz) Cluster()
    {
        var store = new FakeRbacStore().AddAll(BootstrapPolicy.Objects);
        return (store, store.Authorizer());
    }

    [Fact]
    public void SystemMastersAreBoundToClusterAdmin()
    {
        var admin = new UserInfo("kubernetes-admin", [UserInfo.Masters]);
        var (_, authz) = Cluster();

        Assert.True(authz.Authorize(admin, Res("delete", "nodes")).Allowed);
        Assert.Contains(BootstrapPolicy.Objects, o => o["metadata"]!["name"]!.GetValue<string>() == "cluster-admin" && o["kind"]!.GetValue<string>() == "ClusterRoleBinding");
    }

    [Fact]
    public void EveryAuthenticatedIdentityMayDiscoverAndReviewItself()
    {
        var (_, authz) = Cluster();
        var nobody = new UserInfo("nobody", [UserInfo.Authenticated]);

        Assert.True(authz.Authorize(nobody, RequestAttributes.ForPath("get", "/apis/run.ai/v2alpha1")).Allowed);
        Assert.True(authz.Authorize(nobody, RequestAttributes.ForPath("get", "/version")).Allowed);
        Assert.True(authz.Authorize(nobody, Res("create", "selfsubjectaccessreviews", group: "authorization.k8s.io")).Allowed);
        Assert.True(authz.Authorize(nobody, Res("create", "selfsubjectreviews", group: "authentication.k8s.io")).Allowed);
        Assert.False(authz.Authorize(nobody, Res("list", "pods", "runai")).Allowed);
        Assert.False(authz.Authorize(nobody, Res("create", "subjectaccessreviews", group: "authorization.k8s.io")).Allowed);
    }

    [Fact]
    public void ViewEditAndAdminGrowByAggregation()
    {
        var (store, authz) = Cluster();
        store.Add(RoleBinding("runai", "viewer", "ClusterRole", "view", User("v")))
            .Add(RoleBinding("runai", "editor", "ClusterRole", "edit", User("e")))
            .Add(RoleBinding("runai", "owner", "ClusterRole", "admin", User("a")));
        UserInfo U(string n) => new(n, [UserInfo.Authenticated]);

        Assert.True(authz.Authorize(U("v"), Res("list", "deployments", "runai", "apps")).Allowed);
        Assert.True(authz.Authorize(U("v"), Res("get", "pods", "runai", sub: "log")).Allowed);
        Assert.False(authz.Authorize(U("v"), Res("get", "secrets", "runai")).Allowed);
        Assert.False(authz.Authorize(U("v"), Res("create", "deployments", "runai", "apps")).Allowed);

        Assert.True(authz.Authorize(U("e"), Res("create", "deployments", "runai", "apps")).Allowed);
        Assert.True(authz.Authorize(U("e"), Res("list", "pods", "runai")).Allowed); // from view, through edit
        Assert.False(authz.Authorize(U("e"), Res("create", "rolebindings", "runai", "rbac.authorization.k8s.io")).Allowed);

        Assert.True(authz.Authorize(U("a"), Res("create", "rolebindings", "runai", "rbac.authorization.k8s.io")).Allowed);
        Assert.True(authz.Authorize(U("a"), Res("update", "deployments", "runai", "apps", "scale")).Allowed); // edit's, through admin
        Assert.True(authz.Authorize(U("a"), Res("watch", "jobs", "runai", "batch")).Allowed); // view's, through edit and admin
        Assert.False(authz.Authorize(U("a"), Res("list", "nodes")).Allowed);
    }

    [Fact]
    public void ObjectsAreFreshCopiesEachTime()
    {
        var first = BootstrapPolicy.Objects;
        first[0]["metadata"]!["name"] = "changed";

        Assert.Equal("cluster-admin", BootstrapPolicy.Objects[0]["metadata"]!["name"]!.GetValue<string>());
    }
}
