using System.Text.Json.Nodes;
using Runai.Sim.Api;

namespace Runai.Sim.Tests.ApiDocs.Support;

/// <summary>Resource definitions used across these tests.</summary>
internal static class Definitions
{
    public static JsonObject ProjectSchema() => JsonNode.Parse("""
        {
          "type": "object",
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
              "type": "object",
              "required": ["gpus"],
              "properties": {
                "gpus": {
                  "type": "object",
                  "properties": {"quota": {"type": "integer", "minimum": 0}}
                },
                "department": {"type": "string"}
              }
            },
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
          }
        }
        """)!.AsObject();

    public static ResourceDefinition Project() => new()
    {
        Group = "run.ai",
        Version = "v2alpha1",
        Kind = "Project",
        Plural = "projects",
        Namespaced = false,
        Schema = ProjectSchema(),
        Subresources = ["status"],
        PrinterColumns = [new PrinterColumn("Quota", "integer", ".spec.gpus.quota")],
    };

    public static ResourceDefinition Workload() => new()
    {
        Group = "run.ai",
        Version = "v2alpha1",
        Kind = "Workload",
        Plural = "workloads",
        Namespaced = true,
        Schema = new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true },
    };

    public static ResourceDefinition Pod() => new()
    {
        Group = "",
        Version = "v1",
        Kind = "Pod",
        Plural = "pods",
        Namespaced = true,
        BuiltIn = true,
        Subresources = ["status", "binding", "eviction", "log"],
    };

    public static ResourceDefinition Namespace() => new()
    {
        Group = "",
        Version = "v1",
        Kind = "Namespace",
        Plural = "namespaces",
        Namespaced = false,
        BuiltIn = true,
    };

    public static ResourceDefinition Deployment() => new()
    {
        Group = "apps",
        Version = "v1",
        Kind = "Deployment",
        Plural = "deployments",
        Namespaced = true,
        BuiltIn = true,
        Subresources = ["status", "scale"],
    };
}
