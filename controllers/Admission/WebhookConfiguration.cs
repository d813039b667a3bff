using System.Text;
using k8s.Models;

namespace Runai.Controllers.Admission;

/// <summary>
/// The MutatingWebhookConfiguration <c>runai-admission</c>, built here so there is one definition: the leader
/// creates it and keeps it equal to this (a hand edit or a re-applied manifest is put back within one
/// reconcile period), with the CA of the serving certificate and the configured failure policy.
/// </summary>
internal static class WebhookConfiguration
{
    public const string Name = "runai-admission";
    public const string WebhookName = "pods.runai-admission.run.ai";
    public const string Path = "/mutate-pods";
    public const int ServicePort = 443;

    /// <summary>Namespaces whose pods are reviewed: project namespaces carry this label (value: the project).</summary>
    public const string ProjectNamespaceLabel = "runai/queue";

    public static V1MutatingWebhookConfiguration Build(string ns, string service, string? caPem, string failurePolicy) => new()
    {
        ApiVersion = "admissionregistration.k8s.io/v1",
        Kind = "MutatingWebhookConfiguration",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
            Labels = new Dictionary<string, string> { ["app"] = service, ["app.kubernetes.io/part-of"] = "runai" },
        },
        Webhooks =
        [
            new V1MutatingWebhook
            {
                Name = WebhookName,
                AdmissionReviewVersions = ["v1"],
                SideEffects = "None",
                FailurePolicy = failurePolicy,
                MatchPolicy = "Equivalent",
                ReinvocationPolicy = "Never",
                TimeoutSeconds = 5,
                NamespaceSelector = new V1LabelSelector
                {
                    MatchExpressions = [new V1LabelSelectorRequirement { Key = ProjectNamespaceLabel, OperatorProperty = "Exists" }],
                },
                Rules =
                [
                    new V1RuleWithOperations
                    {
                        ApiGroups = [""], ApiVersions = ["v1"], Operations = ["CREATE"], Resources = ["pods"], Scope = "Namespaced",
                    },
                ],
                ClientConfig = new Admissionregistrationv1WebhookClientConfig
                {
                    Service = new Admissionregistrationv1ServiceReference { NamespaceProperty = ns, Name = service, Path = Path, Port = ServicePort },
                    CaBundle = caPem is null ? null : Encoding.UTF8.GetBytes(caPem),
                },
            },
        ],
    };

    /// <summary>What differs between the live configuration and the wanted one (empty when equal), for the log.</summary>
    public static IReadOnlyList<string> Differences(V1MutatingWebhookConfiguration live, V1MutatingWebhookConfiguration wanted)
    {
        var diffs = new List<string>();
        var l = live.Webhooks?.FirstOrDefault(w => w.Name == WebhookName);
        var w = wanted.Webhooks[0];
        if (l is null)
        {
            return [$"webhook {WebhookName} is missing"];
        }

        if ((live.Webhooks?.Count ?? 0) != 1) diffs.Add($"{live.Webhooks?.Count} webhooks instead of 1");
        if (l.FailurePolicy != w.FailurePolicy) diffs.Add($"failurePolicy {l.FailurePolicy ?? "(unset)"} instead of {w.FailurePolicy}");
        if (w.ClientConfig.CaBundle is { } ca && (l.ClientConfig?.CaBundle is not { } have || !have.AsSpan().SequenceEqual(ca))) diffs.Add("caBundle is not the serving certificate's CA");
        var ls = l.ClientConfig?.Service;
        var ws = w.ClientConfig.Service;
        if (ls is null || ls.Name != ws.Name || ls.NamespaceProperty != ws.NamespaceProperty || ls.Path != ws.Path || (ls.Port ?? 443) != ws.Port) diffs.Add("clientConfig.service differs");
        if (l.TimeoutSeconds != w.TimeoutSeconds) diffs.Add($"timeoutSeconds {l.TimeoutSeconds} instead of {w.TimeoutSeconds}");
        if (l.SideEffects != w.SideEffects) diffs.Add("sideEffects differs");
        var lr = l.Rules?.SingleOrDefault();
        var wr = w.Rules[0];
        if (lr is null || !Same(lr.Operations, wr.Operations) || !Same(lr.Resources, wr.Resources) || !Same(lr.ApiGroups, wr.ApiGroups) || !Same(lr.ApiVersions, wr.ApiVersions)) diffs.Add("rules differ");
        var lsel = l.NamespaceSelector?.MatchExpressions?.SingleOrDefault();
        if (lsel is null || lsel.Key != ProjectNamespaceLabel || lsel.OperatorProperty != "Exists" || l.NamespaceSelector?.MatchLabels is { Count: > 0 }) diffs.Add("namespaceSelector differs");
        return diffs;
    }

    private static bool Same(IList<string>? a, IList<string>? b) => (a ?? []).SequenceEqual(b ?? []);
}
