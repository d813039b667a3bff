# shellcheck shell=bash
# What ./run.sh starts after the simulated cluster, and what it puts in .run/bin/.
# Sourced by run.sh. This is the one place to add a component: append a line, nothing else.
#
# COMPONENTS: one entry per line, fields separated by '|':
#   name      process name; its log is .run/logs/NAME.log
#   role      where its metrics URL goes in .run/endpoints.json:
#               backend       → "backend" (base URL, no /metrics; metrics still scraped)
#               exporter      → "exporter"
#               node-exporter → "nodeExporters"; started once per node of .run/sim.json, with
#                               {node} set and NAME-{node} as its name
#               controller    → "controllers": {NAME: url}
#   artifact  file that must exist for the component to start, relative to the repo root
#             (normally the built assembly); the entry is skipped while it is absent
#   metrics   auto  → a free loopback port is chosen and given as {port}; /metrics is scraped
#             -     → no metrics endpoint
#   command   run with `exec` from the repo root; placeholders:
#               {artifact} absolute path of the artifact     {port}      the metrics port
#               {kubeconfig} .run/kubeconfig (absolute)      {nats}      nats://127.0.0.1:P
#               {kubeApi}  the sim's API base URL            {node}      node name (node-exporter)
#               {run}      the .run directory (absolute)     {root}      the repo root
#               {podResourcesSocket} the node's kubelet pod-resources socket (node-exporter; from sim.json)
#             Every component also gets KUBECONFIG and RUNAI_NATS_URL in its environment.
#
# Example (not built yet, so it would be skipped anyway):
#   "workload-exporter|exporter|exporter/bin/Release/net10.0/Runai.Exporter.dll|auto|dotnet {artifact} --kubeconfig {kubeconfig} --listen 127.0.0.1:{port}"
# shellcheck disable=SC2034  # read by run.sh
COMPONENTS=(
)

# Operator executables linked into .run/bin/: name|artifact (a .dll runs through `dotnet`,
# anything else is run as it is). They get KUBECONFIG=.run/kubeconfig (--kubeconfig still overrides).
# Skipped while the artifact is absent. kubectl is always there (a wrapper pinned to .run/kubeconfig).
# shellcheck disable=SC2034
OPERATOR_TOOLS=(
  "runai|cli/bin/Release/net10.0/Runai.Cli.dll"
  "runai-doctor|diagnostics/bin/Release/net10.0/Runai.Diagnostics.dll"
)
