using System.Text.Json.Nodes;
using Runai.Sim.Api.Protobuf;

namespace Runai.Sim.Tests.Protobuf;

/// <summary>
/// Request bodies kubectl 1.32 sent to the sim (captured once, kept as hex) and the JSON each must decode to;
/// the JSON was checked field by field against what the kubectl command asked for.
/// </summary>
public sealed class CapturedKubectlBodyTests
{
    private static readonly Dictionary<string, (string Hex, string Json)> Captured = new()
    {
        ["CreatePodDisruptionBudget"] = new(
            """
            6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574124a0a210a086b6565702d6f
            6e6512001a0970726f746f2d70646222002a0032003800420012190a09080110001a03353025120c0a0a0a03617070120377
            65621a0a080018002000280030001a002200
            """,
            """
            {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "keep-one", "namespace": "proto-pdb"}, "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}, "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}}
            """),
        ["CreateServiceClusterIp"] = new(
            """
            6b3873000a0d0a0276311207536572766963651296010a280a0377656212001a0970726f746f2d73766322002a0032003800
            42005a0a0a03617070120377656212660a1b0a0738302d38303830120354435018502207080010903f1a0028000a220a0934
            34332d6874747073120354435018bb03220b080110001a0568747470732800120a0a0361707012037765621a002209436c75
            7374657249503a00420052005a00600068001a020a001a002200
            """,
            """
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "proto-svc", "labels": {"app": "web"}}, "spec": {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080}, {"name": "443-https", "protocol": "TCP", "port": 443, "targetPort": "https"}], "selector": {"app": "web"}, "type": "ClusterIP"}, "status": {"loadBalancer": {}}}
            """),
        ["CreatePriorityClassWithValueZero"] = new(
            """
            6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312380a1a0a0a70
            726f746f2d7a65726f12001a0022002a003200380042001000180022002a14507265656d70744c6f7765725072696f726974
            791a002200
            """,
            """
            {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "proto-zero"}, "value": 0, "preemptionPolicy": "PreemptLowerPriority"}
            """),
        ["CreateSecretGeneric"] = new(
            """
            6b3873000a0c0a0276311206536563726574124b0a210a05637265647312001a0c70726f746f2d73656372657422002a0032
            003800420012130a0870617373776f7264120768756e746572321a116578616d706c652e636f6d2f62617369631a002200
            """,
            """
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "proto-secret"}, "data": {"password": "aHVudGVyMg=="}, "type": "example.com/basic"}
            """),
        ["CreateRoleBindingWithThreeSubjects"] = new(
            """
            6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712
            da010a260a0c7265616465722d6c6973747312001a0a70726f746f2d7262616322002a0032003800420012290a0455736572
            1219726261632e617574686f72697a6174696f6e2e6b38732e696f1a046a616e652200122e0a0547726f7570121972626163
            2e617574686f72697a6174696f6e2e6b38732e696f1a0861756469746f7273220012260a0e536572766963654163636f756e
            7412001a06726561646572220a70726f746f2d726261631a2d0a19726261632e617574686f72697a6174696f6e2e6b38732e
            696f1204526f6c651a0a706f642d6c69737465721a002200
            """,
            """
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "reader-lists", "namespace": "proto-rbac"}, "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "jane"}, {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "auditors"}, {"kind": "ServiceAccount", "name": "reader", "namespace": "proto-rbac"}], "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-lister"}}
            """),
        ["CreateConfigMapWithSaveConfig"] = new(
            """
            6b3873000a0f0a0276311209436f6e6669674d617012db020aa2020a0873657474696e677312001a0870726f746f2d636d22
            002a0032003800420062ff010a306b75626563746c2e6b756265726e657465732e696f2f6c6173742d6170706c6965642d63
            6f6e66696775726174696f6e12ca017b226b696e64223a22436f6e6669674d6170222c2261706956657273696f6e223a2276
            31222c226d65746164617461223a7b226e616d65223a2273657474696e6773222c226e616d657370616365223a2270726f74
            6f2d636d222c226372656174696f6e54696d657374616d70223a6e756c6c7d2c2264617461223a7b226d6f6465223a226661
            7374222c2273657474696e67732e696e69223a22783d315c6e793d325c6e227d2c2262696e61727944617461223a7b22626c
            6f62223a222f77442b67413d3d227d7d0a120c0a046d6f646512046661737412180a0c73657474696e67732e696e69120878
            3d310a793d320a1a0c0a04626c6f621204ff00fe801a002200
            """,
            """
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "proto-cm", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"settings\",\"namespace\":\"proto-cm\",\"creationTimestamp\":null},\"data\":{\"mode\":\"fast\",\"settings.ini\":\"x=1\\ny=2\\n\"},\"binaryData\":{\"blob\":\"/wD+gA==\"}}\n"}}, "data": {"mode": "fast", "settings.ini": "x=1\ny=2\n"}, "binaryData": {"blob": "/wD+gA=="}}
            """),
        ["CreateCronJob"] = new(
            """
            6b3873000a130a0862617463682f7631120743726f6e4a6f6212bb010a200a076e696768746c7912001a0970726f746f2d6a
            6f6222002a003200380042001294010a09302033202a202a202a1a002a84010a170a076e696768746c7912001a0022002a00
            320038004200126932670a100a0012001a0022002a003200380042001253122c0a076e696768746c79120762757379626f78
            1a04646174652a0042006a007200800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068
            008201008a01009a0100c201001a001a002200
            """,
            """
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "proto-job"}, "spec": {"schedule": "0 3 * * *", "jobTemplate": {"metadata": {"name": "nightly"}, "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "nightly", "image": "busybox", "command": ["date"], "resources": {}}], "restartPolicy": "OnFailure"}}}}}, "status": {}}
            """),
        ["CreateToken"] = new(
            """
            6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e5265717565737412270a10
            0a0012001a0022002a00320038004200120d0a0873696d2d746573742084071a040a0012001a002200
            """,
            """
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {}, "spec": {"audiences": ["sim-test"], "expirationSeconds": 900}, "status": {}}
            """),
        ["AuthCanIGetPodsLog"] = new(
            """
            6b3873000a320a17617574686f72697a6174696f6e2e6b38732e696f2f7631121753656c665375626a656374416363657373
            526576696577123f0a100a0012001a0022002a0032003800420012210a1f0a0764656661756c7412036765741a0022002a04
            706f647332036c6f673a001a08080012001a0020001a002200
            """,
            """
            {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {}, "spec": {"resourceAttributes": {"namespace": "default", "verb": "get", "resource": "pods", "subresource": "log"}}, "status": {"allowed": false}}
            """),
        ["CreateDeployment"] = new(
            """
            6b3873000a150a07617070732f7631120a4465706c6f796d656e741281020a330a07747261696e657212001a0c70726f746f
            2d6465706c6f7922002a003200380042005a0e0a036170701207747261696e657212bb01080312100a0e0a03617070120774
            7261696e65721a9c010a200a0012001a0022002a003200380042005a0e0a036170701207747261696e65721278125a0a0774
            7261696e6572121c72656769737472792e6578616d706c652f747261696e65723a312e321a06707974686f6e1a0874726169
            6e2e70792a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a005200580060
            0068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200
            """,
            """
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "trainer", "namespace": "proto-deploy", "labels": {"app": "trainer"}}, "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "trainer"}}, "template": {"metadata": {"labels": {"app": "trainer"}}, "spec": {"containers": [{"name": "trainer", "image": "registry.example/trainer:1.2", "command": ["python", "train.py"], "ports": [{"containerPort": 8080}], "resources": {}}]}}, "strategy": {}}, "status": {}}
            """),
    };

    public static TheoryData<string> Commands() => new(Captured.Keys);

    [Theory]
    [MemberData(nameof(Commands))]
    public void CapturedBodyDecodesToTheObjectKubectlMeant(string command)
    {
        var (hex, json) = Captured[command];

        var decoded = KubeProtobuf.Decode(Convert.FromHexString(string.Concat(hex.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries))));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), decoded), $"decoded {decoded.ToJsonString()}");
    }
}
