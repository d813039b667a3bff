using System.Text;
using k8s;
using k8s.Models;
using Runai.Controllers.Admission;
using Runai.Core.Yaml;
using Runai.Hosting.Tests.Support;

namespace Runai.Admission.Tests;

public sealed class WebhookConfigurationTests
{
    private static V1MutatingWebhookConfiguration FromManifest()
    {
        var obj = KubeYaml.ReadObjectsFromFile(Repo.ComponentManifest("runai-admission")).Single(o => (string?)o["kind"] == "MutatingWebhookConfiguration");
        return KubernetesJson.Deserialize<V1MutatingWebhookConfiguration>(obj.ToJsonString());
    }

    [Fact]
    public void TheShippedManifestIsTheDefinitionTheLeaderKeeps()
    {
        var wanted = WebhookConfiguration.Build("runai", "runai-admission", null, "Fail");
        Assert.Empty(WebhookConfiguration.Differences(FromManifest(), wanted));
        Assert.Equal(wanted.Metadata.Name, FromManifest().Metadata.Name);
    }

    [Fact]
    public void EveryDriftIsNamed()
    {
        var wanted = WebhookConfiguration.Build("runai", "runai-admission", "CA", "Fail");
        var live = FromManifest();
        live.Webhooks[0].FailurePolicy = "Ignore";
        live.Webhooks[0].NamespaceSelector = null;
        live.Webhooks[0].ClientConfig.CaBundle = Encoding.UTF8.GetBytes("other");
        var diffs = WebhookConfiguration.Differences(live, wanted);
        Assert.Contains("failurePolicy Ignore instead of Fail", diffs);
        Assert.Contains("namespaceSelector differs", diffs);
        Assert.Contains("caBundle is not the serving certificate's CA", diffs);
        live.Webhooks.Clear();
        Assert.Equal(["webhook pods.runai-admission.run.ai is missing"], WebhookConfiguration.Differences(live, wanted));
    }
}
