using k8s;
using k8s.Models;
using Runai.Sim.Tests.Conformance.Support;
using Runai.Sim.Tests.Support;

namespace Runai.Sim.Tests.Conformance;

/// <summary>RBAC is enforced for the identity behind each request, and access reviews answer from the same rules.</summary>
public sealed class RbacTests(SimClusterFixture cluster) : IClassFixture<SimClusterFixture>
{
    /// <summary>A namespace whose service account "reader" may list pods there, through a Role and RoleBinding.</summary>
    private async Task<(string Ns, string Binding)> ReaderNamespaceAsync()
    {
        var ns = await cluster.NewNamespaceAsync("rbac");
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "pod-reader" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["pods"], Verbs = ["get", "list", "watch"] }],
        }, ns);
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "reader-reads-pods" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "pod-reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "reader", NamespaceProperty = ns }],
        }, ns);
        return (ns, "reader-reads-pods");
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task ABoundIdentityListsPodsInItsNamespaceOnlyAndLosesAccessWithItsBinding(string client)
    {
        var (ns, binding) = await ReaderNamespaceAsync();
        var via = cluster.DriverAs(client, ns, "reader");
        var user = $"system:serviceaccount:{ns}:reader";

        var own = await via.ListAsync(Kind.Pod, ns);
        var elsewhere = (await via.ListAsync(Kind.Pod, "default")).Failure;
        await cluster.Client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(binding, ns);
        var unbound = (await via.ListAsync(Kind.Pod, ns)).Failure;

        Assert.Null(own.Error);
        Assert.Equal(403, elsewhere.Code);
        Assert.Equal("Forbidden", elsewhere.Reason);
        Assert.Equal($"pods is forbidden: User \"{user}\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"", elsewhere.Message);
        Assert.Equal("Forbidden", unbound.Reason);
        Assert.Contains($"User \"{user}\" cannot list resource \"pods\"", unbound.Message);
    }

    [Theory, ClassData(typeof(BothClients))]
    public async Task AccessReviewsAnswerFromTheSameRules(string client)
    {
        var (ns, binding) = await ReaderNamespaceAsync();
        var via = cluster.Driver(client);
        var user = $"system:serviceaccount:{ns}:reader";

        Assert.True(await via.CanIAsync(user, "list", "pods", ns));
        Assert.False(await via.CanIAsync(user, "delete", "pods", ns));
        Assert.False(await via.CanIAsync(user, "list", "pods", "default"));
        await cluster.Client.RbacAuthorizationV1.DeleteNamespacedRoleBindingAsync(binding, ns);
        Assert.False(await via.CanIAsync(user, "list", "pods", ns));
    }

    [Fact]
    public async Task KubectlAuthCanIAnswersNoForAnUnboundServiceAccountInRunai()
    {
        var result = await cluster.KubectlAsync("auth", "can-i", "--as=system:serviceaccount:runai:x", "list", "pods", "-n", "runai");

        Assert.Equal("no", result.Stdout.Trim());
        Assert.Equal(1, result.ExitCode);
    }

    // KubernetesClient's typed models leave apiVersion/kind unset; a real server takes them from the URL.
    [Fact]
    public async Task ASubjectAccessReviewWithoutTypeMetaIsAnswered()
    {
        var review = await cluster.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec
            {
                User = "system:serviceaccount:runai:nobody",
                ResourceAttributes = new V1ResourceAttributes { Verb = "list", Resource = "pods", NamespaceProperty = "runai" },
            },
        });

        Assert.False(review.Status.Allowed);
    }
}
