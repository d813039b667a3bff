using System.Text.Json.Nodes;
using Runai.Sim.Api.Protobuf;
using Runai.Sim.Tests.Protobuf.Support;

namespace Runai.Sim.Tests.Protobuf;

/// <summary>
/// One body per kind, built field by field with the numbers of Kubernetes' generated.proto, and the exact JSON
/// it must become.
/// </summary>
public sealed class KindDecodingTests
{
    private static void AssertDecodes(string expectedJson, string apiVersion, string kind, Action<ProtoWriter> body)
    {
        var decoded = KubeProtobuf.Decode(ProtoWriter.Envelope(apiVersion, kind, body));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expectedJson), decoded), $"decoded {decoded.ToJsonString()}");
    }

    private static Action<ProtoWriter> Meta(string name, string? ns = null) => m =>
    {
        m.String(1, name).String(2, "");
        if (ns is not null)
        {
            m.String(3, ns);
        }
    };

    [Fact]
    public void ObjectMetaCarriesEveryUserSettableField()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "cm", "generateName": "cm-", "namespace": "team-a", "uid": "u-1", "resourceVersion": "42",
                          "generation": 3, "creationTimestamp": "2023-11-14T22:13:20Z", "deletionTimestamp": "2023-11-14T22:13:25Z",
                          "deletionGracePeriodSeconds": 0,
                          "labels": {"app": "web", "tier": "front"}, "annotations": {"note": "hi"},
                          "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "u-0", "apiVersion": "apps/v1",
                                               "controller": true, "blockOwnerDeletion": false}],
                          "finalizers": ["example.com/keep"],
                          "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                                             "time": "2023-11-14T22:13:20Z", "fieldsType": "FieldsV1",
                                             "fieldsV1": {"f:data": {}}, "subresource": "status"}]}}
            """, "v1", "ConfigMap", c => c.Message(1, m => m
                .String(1, "cm").String(2, "cm-").String(3, "team-a").String(4, "").String(5, "u-1").String(6, "42")
                .Varint(7, 3)
                .Message(8, t => t.Varint(1, 1_700_000_000).Varint(2, 123))
                .Message(9, t => t.Varint(1, 1_700_000_005))
                .Varint(10, 0)
                .MapEntry(11, "app", "web").MapEntry(11, "tier", "front")
                .MapEntry(12, "note", "hi")
                .Message(13, o => o.String(1, "Deployment").String(3, "web").String(4, "u-0").String(5, "apps/v1").Bool(6, true).Bool(7, false))
                .String(14, "example.com/keep")
                .Message(17, f => f.String(1, "kubectl").String(2, "Update").String(3, "v1")
                    .Message(4, t => t.Varint(1, 1_700_000_000)).String(6, "FieldsV1")
                    .Message(7, r => r.String(1, """{"f:data":{}}""")).String(8, "status"))));
    }

    [Fact]
    public void ConfigMapKeepsAnExplicitImmutableFalseButDropsUnsetZeroes()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "", "b": "2"},
             "binaryData": {"bin": "AAE="}, "immutable": false}
            """, "v1", "ConfigMap", c => c
                .Message(1, m => m.String(1, "cm").String(2, "").Varint(7, 0).Message(8, _ => { }))
                .MapEntry(2, "a", "").MapEntry(2, "b", "2")
                .Message(3, e => e.String(1, "bin").Bytes(2, [0, 1]))
                .Bool(4, false));
    }

    [Fact]
    public void SecretDataIsBase64AndStringDataIsText()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "ns"},
             "data": {"token": "c2VjcmV0"}, "type": "kubernetes.io/tls", "stringData": {"plain": "text"}, "immutable": true}
            """, "v1", "Secret", s => s
                .Message(1, Meta("s", "ns"))
                .Message(2, e => e.String(1, "token").String(2, "secret"))
                .String(3, "kubernetes.io/tls")
                .MapEntry(4, "plain", "text")
                .Bool(5, true));
    }

    [Fact]
    public void NamespaceKeepsSpecFinalizers()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"runai/queue": "a"}},
             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
            """, "v1", "Namespace", n => n
                .Message(1, m => m.String(1, "team-a").MapEntry(11, "runai/queue", "a"))
                .Message(2, s => s.String(1, "kubernetes"))
                .Message(3, s => s.String(1, "Active")));
    }

    [Fact]
    public void ServiceAccountKeepsSecretsPullSecretsAndAutomountFalse()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "ci"},
             "secrets": [{"kind": "Secret", "namespace": "ci", "name": "tok", "uid": "u-9", "apiVersion": "v1",
                          "resourceVersion": "7", "fieldPath": "data"}],
             "imagePullSecrets": [{"name": "registry"}], "automountServiceAccountToken": false}
            """, "v1", "ServiceAccount", sa => sa
                .Message(1, Meta("builder", "ci"))
                .Message(2, r => r.String(1, "Secret").String(2, "ci").String(3, "tok").String(4, "u-9").String(5, "v1").String(6, "7").String(7, "data"))
                .Message(3, r => r.String(1, "registry"))
                .Bool(4, false));
    }

    [Fact]
    public void TokenRequestSpecKeepsAudiencesExpiryAndBoundObject()
    {
        AssertDecodes("""
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {},
             "spec": {"audiences": ["api", "vault"], "expirationSeconds": 600,
                      "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p", "uid": "u-3"}},
             "status": {}}
            """, "authentication.k8s.io/v1", "TokenRequest", t => t
                .Message(1, _ => { })
                .Message(2, s => s.String(1, "api").String(1, "vault")
                    .Message(3, b => b.String(1, "Pod").String(2, "v1").String(3, "p").String(4, "u-3"))
                    .Varint(4, 600))
                .Message(3, s => s.String(1, "").Message(2, _ => { })));
    }

    [Fact]
    public void SubjectAccessReviewKeepsUserGroupsExtraAndSelectors()
    {
        AssertDecodes("""
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "metadata": {},
             "spec": {"resourceAttributes": {"namespace": "runai", "verb": "list", "group": "apps", "version": "v1",
                                             "resource": "deployments", "subresource": "scale", "name": "web",
                                             "fieldSelector": {"rawSelector": "spec.nodeName=n1",
                                                               "requirements": [{"key": "spec.nodeName", "operator": "In", "values": ["n1"]}]},
                                             "labelSelector": {"rawSelector": "app=web",
                                                               "requirements": [{"key": "app", "operator": "In", "values": ["web"]}]}},
                      "user": "jane", "groups": ["devs", "system:authenticated"],
                      "extra": {"scopes": ["read", "write"], "empty": []}, "uid": "u-7"},
             "status": {"allowed": false}}
            """, "authorization.k8s.io/v1", "SubjectAccessReview", r => r
                .Message(1, _ => { })
                .Message(2, s => s
                    .Message(1, a => a.String(1, "runai").String(2, "list").String(3, "apps").String(4, "v1")
                        .String(5, "deployments").String(6, "scale").String(7, "web")
                        .Message(8, f => f.String(1, "spec.nodeName=n1").Message(2, q => q.String(1, "spec.nodeName").String(2, "In").String(3, "n1")))
                        .Message(9, l => l.String(1, "app=web").Message(2, q => q.String(1, "app").String(2, "In").String(3, "web"))))
                    .String(3, "jane").String(4, "devs").String(4, "system:authenticated")
                    .Message(5, e => e.String(1, "scopes").Message(2, v => v.String(1, "read").String(1, "write")))
                    .Message(5, e => e.String(1, "empty"))
                    .String(6, "u-7"))
                .Message(3, s => s.Bool(1, false).String(2, "").String(3, "")));
    }

    [Fact]
    public void SelfSubjectAccessReviewAsksAboutANonResourceUrl()
    {
        AssertDecodes("""
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {},
             "spec": {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}}
            """, "authorization.k8s.io/v1", "SelfSubjectAccessReview", r => r
                .Message(1, _ => { })
                .Message(2, s => s.Message(2, n => n.String(1, "/metrics").String(2, "get"))));
    }

    [Fact]
    public void LocalSubjectAccessReviewKeepsItsNamespace()
    {
        AssertDecodes("""
            {"apiVersion": "authorization.k8s.io/v1", "kind": "LocalSubjectAccessReview", "metadata": {"namespace": "runai"},
             "spec": {"resourceAttributes": {"namespace": "runai", "verb": "get", "resource": "pods"}, "user": "bob"}}
            """, "authorization.k8s.io/v1", "LocalSubjectAccessReview", r => r
                .Message(1, m => m.String(3, "runai"))
                .Message(2, s => s.Message(1, a => a.String(1, "runai").String(2, "get").String(5, "pods")).String(3, "bob")));
    }

    [Fact]
    public void SelfSubjectRulesReviewNamesTheNamespace()
    {
        AssertDecodes("""
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "metadata": {},
             "spec": {"namespace": "runai"}}
            """, "authorization.k8s.io/v1", "SelfSubjectRulesReview", r => r
                .Message(1, _ => { })
                .Message(2, s => s.String(1, "runai")));
    }

    [Fact]
    public void SelfSubjectReviewDecodesItsStatusUserInfo()
    {
        AssertDecodes("""
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview", "metadata": {},
             "status": {"userInfo": {"username": "admin", "uid": "1", "groups": ["system:masters"], "extra": {"k": ["v"]}}}}
            """, "authentication.k8s.io/v1", "SelfSubjectReview", r => r
                .Message(1, _ => { })
                .Message(2, s => s.Message(1, u => u.String(1, "admin").String(2, "1").String(3, "system:masters")
                    .Message(4, e => e.String(1, "k").Message(2, v => v.String(1, "v"))))));
    }

    [Fact]
    public void ClusterRoleKeepsRulesAndAggregationSelectors()
    {
        AssertDecodes("""
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "view-plus"},
             "rules": [{"verbs": ["get"], "apiGroups": ["run.ai"], "resources": ["projects"], "resourceNames": ["p1"],
                        "nonResourceURLs": ["/version"]}],
             "aggregationRule": {"clusterRoleSelectors": [
                 {"matchLabels": {"agg": "true"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}]}}
            """, "rbac.authorization.k8s.io/v1", "ClusterRole", r => r
                .Message(1, Meta("view-plus"))
                .Message(2, p => p.String(1, "get").String(2, "run.ai").String(3, "projects").String(4, "p1").String(5, "/version"))
                .Message(3, a => a.Message(1, s => s.MapEntry(1, "agg", "true")
                    .Message(2, e => e.String(1, "tier").String(2, "In").String(3, "a").String(3, "b")))));
    }

    [Fact]
    public void ClusterRoleBindingKeepsSubjectsAndRoleRef()
    {
        AssertDecodes("""
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "b"},
             "subjects": [{"kind": "ServiceAccount", "name": "ctl", "namespace": "runai"}],
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"}}
            """, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", r => r
                .Message(1, Meta("b"))
                .Message(2, s => s.String(1, "ServiceAccount").String(2, "").String(3, "ctl").String(4, "runai"))
                .Message(3, f => f.String(1, "rbac.authorization.k8s.io").String(2, "ClusterRole").String(3, "admin")));
    }

    [Fact]
    public void PriorityClassKeepsANegativeValue()
    {
        AssertDecodes("""
            {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "low"},
             "value": -5, "globalDefault": true, "description": "background"}
            """, "scheduling.k8s.io/v1", "PriorityClass", p => p
                .Message(1, Meta("low"))
                .Varint(2, -5) // int32 negatives are sign-extended to ten bytes on the wire
                .Bool(3, true)
                .String(4, "background"));
    }

    [Fact]
    public void ResourceQuotaKeepsQuantitiesAndScopeSelector()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "runai"},
             "spec": {"hard": {"nvidia.com/gpu": "8", "memory": "64Gi"},
                      "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]}},
             "status": {"used": {"nvidia.com/gpu": "2"}}}
            """, "v1", "ResourceQuota", q => q
                .Message(1, Meta("q", "runai"))
                .Message(2, s => s
                    .Message(1, e => e.String(1, "nvidia.com/gpu").Message(2, v => v.String(1, "8")))
                    .Message(1, e => e.String(1, "memory").Message(2, v => v.String(1, "64Gi")))
                    .Message(3, sel => sel.Message(1, r => r.String(1, "PriorityClass").String(2, "In").String(3, "high"))))
                .Message(3, s => s.Message(2, e => e.String(1, "nvidia.com/gpu").Message(2, v => v.String(1, "2")))));
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("apps/v1")]
    [InlineData("meta.k8s.io/v1")]
    public void DeleteOptionsDecodeUnderAnyGroupVersion(string apiVersion)
    {
        AssertDecodes($$"""
            {"apiVersion": "{{apiVersion}}", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
             "preconditions": {"uid": "u-1", "resourceVersion": "9"}, "propagationPolicy": "Foreground", "dryRun": ["All"]}
            """, apiVersion, "DeleteOptions", d => d
                .Varint(1, 0)
                .Message(2, p => p.String(1, "u-1").String(2, "9"))
                .String(4, "Foreground")
                .String(5, "All"));
    }

    [Fact]
    public void EvictionCarriesItsDeleteOptions()
    {
        AssertDecodes("""
            {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "p", "namespace": "runai"},
             "deleteOptions": {"gracePeriodSeconds": 30}}
            """, "policy/v1", "Eviction", e => e
                .Message(1, Meta("p", "runai"))
                .Message(2, d => d.Varint(1, 30)));
    }

    [Fact]
    public void JobPodTemplateFlattensEmbeddedStructsAndKeepsIntOrString()
    {
        AssertDecodes("""
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "train", "namespace": "runai"},
             "spec": {"backoffLimit": 0,
                      "podFailurePolicy": {"rules": [{"action": "FailJob", "onExitCodes": {"operator": "In", "values": [3, 42]}}]},
                      "template": {"metadata": {}, "spec": {
                          "volumes": [{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420}}],
                          "containers": [{"name": "main", "image": "trainer",
                                          "env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}],
                                          "resources": {"limits": {"nvidia.com/gpu": "1"}},
                                          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}}],
                          "restartPolicy": "Never"}}}}
            """, "batch/v1", "Job", j => j
                .Message(1, Meta("train", "runai"))
                .Message(2, s => s
                    .Message(6, t => t.Message(1, _ => { }).Message(2, p => p
                        .Message(1, v => v.String(1, "cfg").Message(2, src => src.Message(19, c => c.Message(1, r => r.String(1, "settings")).Varint(3, 420))))
                        .Message(2, c => c.String(1, "main").String(2, "trainer")
                            .Message(7, e => e.String(1, "TOKEN").String(2, "")
                                .Message(3, f => f.Message(4, k => k.Message(1, r => r.String(1, "creds")).String(2, "token"))))
                            .Message(8, r => r.Message(1, e => e.String(1, "nvidia.com/gpu").Message(2, q => q.String(1, "1"))))
                            .Message(10, pr => pr.Message(1, h => h.Message(2, g => g.String(1, "/healthz").Message(2, port => port.Varint(1, 1).Varint(2, 0).String(3, "http"))))
                                .Varint(2, 0).Varint(4, 5)))
                        .String(3, "Never")))
                    .Varint(7, 0)
                    .Message(11, f => f.Message(1, r => r.String(1, "FailJob")
                        .Message(2, c => c.String(2, "In").Bytes(3, [3, 42]))))));
    }

    [Fact]
    public void EventTimeIsMicroTimeAndSeriesCountKeepsZero()
    {
        AssertDecodes("""
            {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e", "namespace": "runai"},
             "eventTime": "2023-11-14T22:13:20.123456Z", "series": {"count": 0, "lastObservedTime": "2023-11-14T22:13:21.000000Z"},
             "reason": "Scheduled", "regarding": {"kind": "Pod", "name": "p"}}
            """, "events.k8s.io/v1", "Event", e => e
                .Message(1, Meta("e", "runai"))
                .Message(2, t => t.Varint(1, 1_700_000_000).Varint(2, 123_456_789))
                .Message(3, s => s.Varint(1, 0).Message(2, t => t.Varint(1, 1_700_000_001)))
                .String(7, "Scheduled")
                .Message(8, r => r.String(1, "Pod").String(3, "p")));
    }

    [Fact]
    public void UnknownFieldsOfEveryWireTypeAreSkipped()
    {
        AssertDecodes("""
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}}
            """, "v1", "ConfigMap", c => c
                .Varint(90, 7)
                .Message(1, m => m.String(1, "cm").Fixed32(91, 1).Fixed64(92, 2).String(93, "future"))
                .MapEntry(2, "a", "b")
                .Message(94, x => x.String(1, "nested")));
    }

    [Fact]
    public void EveryKindInTheTableResolvesToAMessage()
    {
        var schema = ProtoSchema.Kubernetes;

        var kinds = schema.Kinds.ToList();

        Assert.Contains(("v1", "ConfigMap"), kinds);
        Assert.Contains(("apps/v1", "Deployment"), kinds);
        Assert.All(kinds, k => Assert.NotNull(schema.ForKind(k.ApiVersion, k.Kind)));
        Assert.Equal("meta.DeleteOptions", schema.ForKind("batch/v1", "DeleteOptions")!.Name);
    }
}
