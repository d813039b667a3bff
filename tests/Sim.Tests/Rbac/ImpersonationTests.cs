using Runai.Sim.Api;
using Runai.Sim.Api.Rbac;
using Runai.Sim.Tests.Rbac.Support;
using static Runai.Sim.Tests.Rbac.Support.RbacObjects;

namespace Runai.Sim.Tests.Rbac;

public sealed class ImpersonationTests
{
    static readonly UserInfo Admin = new("kubernetes-admin", [UserInfo.Masters, UserInfo.Authenticated]);
    static readonly UserInfo Bob = new("bob", [UserInfo.Authenticated]);

    [Fact]
    public void ImpersonatedServiceAccountGetsItsGroups()
    {
        var authz = new FakeRbacStore().Authorizer();

        var identity = RbacAuthorizer.Impersonate(Admin, "system:serviceaccount:runai:workload-controller", [], authz);

        Assert.Equal("system:serviceaccount:runai:workload-controller", identity.Name);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:runai", "system:authenticated"], identity.Groups);
    }

    [Fact]
    public void ImpersonatedUserGetsTheGroupsAskedForPlusAuthenticated()
    {
        var identity = RbacAuthorizer.Impersonate(Admin, "carol", ["team-a"], new FakeRbacStore().Authorizer());

        Assert.Equal(new UserInfo("carol", ["team-a", "system:authenticated"]).ToString(), identity.ToString());
    }

    [Fact]
    public void ImpersonatedIdentityIsDecidedByItsOwnBindings()
    {
        var store = new FakeRbacStore()
            .Add(Role("runai", "r", Rule([""], ["pods"], ["list"])))
            .Add(RoleBinding("runai", "b", "Role", "r", ServiceAccount("runai", "workload-controller")));
        var authz = store.Authorizer();

        var identity = RbacAuthorizer.Impersonate(Admin, "system:serviceaccount:runai:workload-controller", [], authz);

        Assert.True(authz.Authorize(identity, RequestAttributes.ForResource("list", "", "pods", "runai")).Allowed);
        Assert.False(authz.Authorize(identity, RequestAttributes.ForResource("list", "", "secrets", "runai")).Allowed);
    }

    [Fact]
    public void RequesterWithoutImpersonatePermissionIsForbidden()
    {
        var error = Assert.Throws<ApiException>(() =>
            RbacAuthorizer.Impersonate(Bob, "system:serviceaccount:runai:workload-controller", [], new FakeRbacStore().Authorizer()));

        Assert.Equal(403, error.Code);
        Assert.Equal("serviceaccounts \"workload-controller\" is forbidden: User \"bob\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"runai\"",
            error.Message);
    }

    [Fact]
    public void ImpersonatingUsersAndGroupsNeedsPermissionForEach()
    {
        var authz = new FakeRbacStore()
            .Add(ClusterRole("impersonate-carol", Rule([""], ["users"], ["impersonate"], ["carol"])))
            .Add(ClusterRoleBinding("b", "impersonate-carol", User("bob")))
            .Authorizer();

        Assert.Equal("carol", RbacAuthorizer.Impersonate(Bob, "carol", [], authz).Name);
        var error = Assert.Throws<ApiException>(() => RbacAuthorizer.Impersonate(Bob, "carol", ["system:masters"], authz));
        Assert.Equal("groups \"system:masters\" is forbidden: User \"bob\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope",
            error.Message);
        Assert.Throws<ApiException>(() => RbacAuthorizer.Impersonate(Bob, "dave", [], authz));
    }

    [Fact]
    public void NoImpersonationLeavesTheRequesterAsIs()
    {
        Assert.Same(Bob, RbacAuthorizer.Impersonate(Bob, null, [], new FakeRbacStore().Authorizer()));
    }

    [Fact]
    public void GroupsWithoutAUserAreRejected()
    {
        var error = Assert.Throws<ApiException>(() => RbacAuthorizer.Impersonate(Admin, null, ["g"], new FakeRbacStore().Authorizer()));

        Assert.Contains("without impersonating a user", error.Message);
    }
}
