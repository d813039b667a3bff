# shellcheck shell=bash
# What ./run.sh runs, and what it puts in .run/bin/. Sourced by run.sh.
#
# The components of SPEC §1 (Deployments in namespace runai) run INSIDE the simulated cluster, as on a real one:
# the sim loads deploy/runai-namespace.yaml and deploy/components/*.yaml, and its kubelets run each pod whose
# image is in IMAGES below as a real local process (see sim/README.md). To add a component, add its manifest to
# deploy/components/ and, for a new image, a line to IMAGES. Nothing else.
#
# IMAGES: one entry per line, fields separated by '|':
#   image     the container image in the manifests (e.g. runai/controllers:dev)
#   command   what the kubelet runs for it, the container's args appended; {root} is the repo root.
#             Every absolute path in it must exist or the pods wait in ImagePullBackOff (the kubelet retries
#             with back-off, so a component built later starts by itself).
# shellcheck disable=SC2034  # read by run.sh
IMAGES=(
  "runai/controllers:dev|dotnet {root}/controllers/bin/Release/net10.0/Runai.Controllers.dll"
  "runai/exporter:dev|dotnet {root}/exporter/bin/Release/net10.0/Runai.Exporter.dll"
  "runai/node-daemon:dev|env NVML_SIM_CONFIG={nvmlDevices} {root}/node-daemon/bin/Release/net10.0/Runai.NodeDaemon --nvml-library {root}/node-daemon/nvml-sim/build --pod-resources-socket {podResourcesSocket}"
)

# Manifests the sim applies after the scenario (files or directories), skipped while absent.
# shellcheck disable=SC2034
MANIFESTS=(
  deploy/runai-namespace.yaml
  deploy/components
)

# COMPONENTS: host processes that are not pods of the simulated cluster, started after it.
#
# COMPONENTS: one entry per line, fields separated by '|':
#   name      process name; its log is .run/logs/NAME.log
#   role      where its metrics URL goes in .run/endpoints.json:
#               backend       → "backend" (base URL, no /metrics; metrics still scraped)
#               node-exporter → "nodeExporters"; started once per node of .run/sim.json, with
#                               {node} set and NAME-{node} as its name
#             (controllers and the exporter are pods now: their URLs come from the sim's services)
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
#   "runai-node-exporter|node-exporter|node-daemon/bin/Release/net10.0/Runai.NodeDaemon.dll|auto|dotnet {artifact} --node {node} --listen 127.0.0.1:{port}"
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
