#!/usr/bin/env bash
# ./run.sh [--for DURATION] [--scenario FILE]
#
# Installs what is missing, builds, and starts the whole stack on the simulated cluster from a clean
# .run/: nats-server, the simulated cluster (which runs the components of deploy/components as pods),
# any host process of scripts/components.sh that is built, and Prometheus. Writes .run/endpoints.json last, once everything answers, then stays up until
# Ctrl-C (or SIGTERM) or until DURATION (120s, 5m, 1h, plain seconds) has passed since readiness.
# A process that dies is reported once and not restarted, so faults can be injected by hand.
#
# Testing hooks (environment):
#   RUNAI_SIM_CMD      command that stands in for `dotnet sim/bin/Release/net10.0/Runai.Sim.dll`;
#                      it gets the same arguments and must honour the same contract (.run/sim.json)
#   RUNAI_SKIP_BUILD=1 skip the build (the artifacts of an earlier build are used as they are)
#   RUNAI_LOG_FORMAT   passed to the sim as --log-format (e.g. json)
#   RUNAI_START_TIMEOUT seconds to wait for each process to come up (default 120)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"
# shellcheck source=scripts/components.sh
source "$RUNAI_ROOT/scripts/components.sh"

usage() { sed -n '2,8s/^# \{0,1\}//p' "$RUNAI_ROOT/run.sh"; }

for_arg="" scenario="sim/scenarios/seed.yaml"
while (($#)); do
  case "$1" in
    --for) (($# >= 2)) || die "--for needs a DURATION (e.g. 120s, 5m, 1h)"; for_arg="$2"; shift 2 ;;
    --for=*) for_arg="${1#--for=}"; shift ;;
    --scenario) (($# >= 2)) || die "--scenario needs a FILE"; scenario="$2"; shift 2 ;;
    --scenario=*) scenario="${1#--scenario=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
for_seconds=""
if [[ -n "$for_arg" ]]; then
  for_seconds=$(parse_duration "$for_arg") || die "--for '$for_arg' is not a duration (use 120s, 5m, 1h or plain seconds)"
fi

cd "$RUNAI_ROOT"
[[ -r "$scenario" ]] || die "scenario file '$scenario' not found"
start_timeout="${RUNAI_START_TIMEOUT:-120}"
RUN="$RUNAI_ROOT/.run"
LOGS="$RUN/logs"
t0=$SECONDS

# ---------------------------------------------------------------------------------------------
# Processes: every one is a direct child in our process group, stdin from /dev/null, log in .run/logs.

declare -A pid_of=() name_of=()
order=()          # pids in start order
stopping=0
timer_pid=""

# start_proc NAME COMMAND [ARGS...]
start_proc() {
  local name="$1"; shift
  "$@" </dev/null >"$LOGS/$name.log" 2>&1 &
  pid_of[$name]=$!
  name_of[$!]=$name
  order+=("$!")
}

# start_proc_line NAME "COMMAND LINE" — for the component table, whose commands are strings.
start_proc_line() {
  local name="$1" line="$2"
  # shellcheck disable=SC2294
  (eval "exec $line") </dev/null >"$LOGS/$name.log" 2>&1 &
  pid_of[$name]=$!
  name_of[$!]=$name
  order+=("$!")
}

alive() { kill -0 "$1" 2>/dev/null; }

# Child processes of a pid, read from /proc (no procps on a fresh machine).
_children_of() {
  local want="$1" f stat rest
  for f in /proc/[0-9]*/stat; do
    read -r stat 2>/dev/null <"$f" || continue
    rest="${stat##*) }"          # the command name may hold spaces and parentheses
    # shellcheck disable=SC2086  # splitting into fields is the point
    set -- $rest
    [[ "${2:-}" == "$want" ]] && { f="${f#/proc/}"; echo "${f%/stat}"; }
  done
  return 0
}
_tree_of() {
  local c
  for c in $(_children_of "$1"); do _tree_of "$c"; echo "$c"; done
  return 0
}

# TERM everything we started (and anything those started), wait up to 5 s, then KILL.
stop_all() {
  ((stopping)) && return 0
  stopping=1
  local i pid targets=() deadline
  if [[ -n "$timer_pid" ]]; then kill "$timer_pid" 2>/dev/null || true; fi
  for ((i = ${#order[@]} - 1; i >= 0; i--)); do
    pid="${order[i]}"
    alive "$pid" || continue
    # shellcheck disable=SC2207  # pids: nothing to mangle
    targets+=($(_tree_of "$pid") "$pid")
  done
  ((${#targets[@]})) || return 0
  say "Stopping the ${#targets[@]} process(es) still running…"
  kill -TERM "${targets[@]}" 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while ((SECONDS < deadline)); do
    local left=0
    for pid in "${targets[@]}"; do alive "$pid" && left=1 && break; done
    ((left)) || break
    sleep 0.2
  done
  # Collect the stubborn ones with their current children before killing any, so none is orphaned.
  local stubborn=()
  for pid in "${targets[@]}"; do
    alive "$pid" || continue
    [[ -n "${name_of[$pid]:-}" ]] && warn "${name_of[$pid]} (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL"
    # shellcheck disable=SC2207
    stubborn+=($(_tree_of "$pid") "$pid")
  done
  if ((${#stubborn[@]})); then kill -KILL "${stubborn[@]}" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}

on_signal() {
  trap '' INT TERM HUP
  say ""
  say "Received SIG$1."
  stop_all
  say "Stopped."
  exit 0
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
# Any other way out (a failed start, set -e) still takes every child down with it.
trap 'stop_all' EXIT

# Fails the start when NAME is no longer running, with the tail of its log.
check_running() {
  local name="$1" pid="${pid_of[$1]}" st
  alive "$pid" && return 0
  st=0; wait "$pid" 2>/dev/null || st=$?
  log_tail "$LOGS/$name.log"
  die "$name (pid $pid) exited with status $st while starting"
}

# wait_http NAME URL — until URL answers 200, NAME dies, or the start timeout passes.
wait_http() {
  local name="$1" url="$2" deadline=$((SECONDS + start_timeout)) code=000
  while ((SECONDS < deadline)); do
    check_running "$name"
    code=$(http_status "$url")
    [[ "$code" == 200 ]] && return 0
    sleep 0.3
  done
  log_tail "$LOGS/$name.log"
  die "$name did not come up within ${start_timeout} s: $url answered ${code/#000/nothing}"
}

# wait_file NAME FILE — until FILE exists, NAME dies, or the start timeout passes.
wait_file() {
  local name="$1" file="$2" deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    [[ -s "$file" ]] && return 0
    check_running "$name"
    sleep 0.3
  done
  log_tail "$LOGS/$name.log"
  die "$name did not come up within ${start_timeout} s: it never wrote $file"
}

# ---------------------------------------------------------------------------------------------
# Clean state, installs, build

# Wiping .run under a live stack would leave it running blind; refuse instead.
if [[ -f "$RUN/run.pid" ]]; then
  other=$(<"$RUN/run.pid")
  if [[ "$other" =~ ^[0-9]+$ && "$other" != "$$" ]] && alive "$other" \
    && tr '\0' ' ' <"/proc/$other/cmdline" 2>/dev/null | grep -q 'run\.sh'; then
    die "another ./run.sh (pid $other) is running on this tree; stop it first (kill $other)"
  fi
fi
rm -rf "$RUN"
mkdir -p "$LOGS" "$RUN/bin"
echo $$ >"$RUN/run.pid"
ensure_tools "$LOGS/install.log"
if [[ "${RUNAI_SKIP_BUILD:-0}" == 1 ]]; then
  step "Skipping the build (RUNAI_SKIP_BUILD=1)"
else
  build_all "$LOGS/build.log"
fi

# ---------------------------------------------------------------------------------------------
# nats-server

step "Starting nats-server"
free_port nats_port
free_port nats_mon_port
nats_url="nats://127.0.0.1:$nats_port"
nats_monitor="http://127.0.0.1:$nats_mon_port"
# The monitor port binds to the -a address too.
start_proc nats-server "$(nats_server_bin)" -n runai-nats -a 127.0.0.1 -p "$nats_port" \
  -m "$nats_mon_port" -js -sd "$RUN/nats"
wait_http nats-server "$nats_monitor/healthz"

# ---------------------------------------------------------------------------------------------
# Simulated cluster

step "Starting the simulated cluster (scenario $scenario)"
if [[ -n "${RUNAI_SIM_CMD:-}" ]]; then
  read -r -a sim_cmd <<<"$RUNAI_SIM_CMD"
else
  sim_dll="sim/bin/Release/net10.0/Runai.Sim.dll"
  [[ -f "$sim_dll" ]] || die "$sim_dll is missing: the build did not produce the simulated cluster"
  sim_cmd=(dotnet "$sim_dll")
fi
sim_args=(--listen 127.0.0.1:0 --scenario "$scenario" --run-dir .run)
# The components run as pods of the simulated cluster: their manifests, and which images the kubelets run
# as real processes (scripts/components.sh). An image whose artifact is not built leaves its pods in
# ImagePullBackOff, as on a cluster whose registry lacks it, until it is built.
for m in "${MANIFESTS[@]}"; do [[ -e "$m" ]] && sim_args+=(--manifests "$m"); done
{
  echo "# Generated by run.sh from scripts/components.sh: IMAGE=COMMAND, run by the simulated kubelets."
  for entry in "${IMAGES[@]}"; do
    IFS='|' read -r i_image i_command <<<"$entry"
    echo "$i_image=${i_command//\{root\}/$RUNAI_ROOT}"
  done
} >"$RUN/image-map"
sim_args+=(--image-map "$RUN/image-map")
[[ -n "${RUNAI_LOG_FORMAT:-}" ]] && sim_args+=(--log-format "$RUNAI_LOG_FORMAT")
# Components read these; the sim's backend stand-in may too.
export RUNAI_NATS_URL="$nats_url"
start_proc sim "${sim_cmd[@]}" "${sim_args[@]}"
wait_file sim "$RUN/sim.json"
[[ -s "$RUN/kubeconfig" ]] || die "the simulated cluster wrote .run/sim.json but no .run/kubeconfig"
kube_api=$(json_string_field "$RUN/sim.json" kubeApi)
sim_metrics=$(json_string_field "$RUN/sim.json" metrics)
sim_backend=$(json_string_field "$RUN/sim.json" backend)
mapfile -t nodes < <(json_string_array "$RUN/sim.json" nodes)
[[ -n "$kube_api" ]] || die ".run/sim.json has no kubeApi: $(<"$RUN/sim.json")"
kubeconfig="$RUN/kubeconfig"
export KUBECONFIG="$kubeconfig"

# ---------------------------------------------------------------------------------------------
# Components (scripts/components.sh)

backend="$sim_backend" exporter="" node_exporters=() controllers=()
scrape_jobs=()   # "job|scheme|host:port|path|node"
if [[ -n "$sim_metrics" ]]; then
  sim_scheme="${sim_metrics%%://*}"
  hp="${sim_metrics#*://}"
  sim_metrics_path=/metrics
  [[ "$hp" == */* ]] && sim_metrics_path="/${hp#*/}"
  scrape_jobs+=("sim-apiserver|$sim_scheme|${hp%%/*}|$sim_metrics_path|")
fi

# launch_component NAME ROLE ARTIFACT METRICS COMMAND [NODE]
waiting=()
launch_component() {
  local name="$1" role="$2" artifact="$3" metrics="$4" line="$5" node="${6:-}" port="" url=""
  if [[ "$metrics" == auto ]]; then
    free_port port
    url="http://127.0.0.1:$port/metrics"
  fi
  [[ "$artifact" == /* ]] || artifact="$RUNAI_ROOT/$artifact"
  line="${line//\{artifact\}/$artifact}"
  line="${line//\{port\}/$port}"
  line="${line//\{kubeconfig\}/$kubeconfig}"
  line="${line//\{nats\}/$nats_url}"
  line="${line//\{kubeApi\}/$kube_api}"
  line="${line//\{node\}/$node}"
  if [[ "$line" == *"{podResourcesSocket}"* ]]; then
    # sim.json maps each node name to its kubelet's pod-resources socket.
    line="${line//\{podResourcesSocket\}/$(json_string_field "$RUN/sim.json" "$node")}"
  fi
  line="${line//\{run\}/$RUN}"
  line="${line//\{root\}/$RUNAI_ROOT}"
  start_proc_line "$name" "$line"
  [[ -n "$url" ]] || return 0
  waiting+=("$name|$url")
  case "$role" in
    backend) backend="http://127.0.0.1:$port" ;;
    exporter) exporter="$url" ;;
    node-exporter) node_exporters+=("$url") ;;
    controller) controllers+=("$name|$url") ;;
  esac
  local job="$name"
  [[ "$role" == node-exporter ]] && job="${name%-"$node"}"
  scrape_jobs+=("$job|http|127.0.0.1:$port|/metrics|$node")
}

started_components=()
for entry in "${COMPONENTS[@]}"; do
  IFS='|' read -r c_name c_role c_artifact c_metrics c_cmd <<<"$entry"
  [[ -n "$c_name" && -n "$c_cmd" ]] || continue
  [[ -e "$c_artifact" ]] || continue
  case "$c_role" in
    backend) launch_component "$c_name" "$c_role" "$c_artifact" "$c_metrics" "$c_cmd" ;;
    exporter | controller) die "scripts/components.sh: $c_name is a $c_role; those run as pods now (deploy/components and IMAGES)" ;;
    node-exporter)
      for n in "${nodes[@]}"; do
        launch_component "$c_name-$n" "$c_role" "$c_artifact" "$c_metrics" "$c_cmd" "$n"
      done ;;
    *) die "scripts/components.sh: $c_name has unknown role '$c_role'" ;;
  esac
  started_components+=("$c_name")
done
if ((${#started_components[@]})); then
  step "Started ${started_components[*]}"
  for w in "${waiting[@]}"; do wait_http "${w%%|*}" "${w#*|}"; done
fi

# Components in the cluster: each Service port named metrics in runai has a stable loopback URL from the
# sim's kube-proxy stand-in (sim.json "services"). The exporter goes to "exporter", the rest to "controllers".
while IFS= read -r pair; do
  [[ "$pair" =~ \"runai/([^\":]+):metrics\"[[:space:]]*:[[:space:]]*\"([^\"]+)\" ]] || continue
  svc="${BASH_REMATCH[1]}" url="${BASH_REMATCH[2]}/metrics"
  case "$svc" in
    workload-exporter) exporter="$url" ;;
    runai-node-exporter) ;;
    *) controllers+=("$svc|$url") ;;
  esac
done < <(tr -d '\n\r' <"$RUN/sim.json" | grep -o '"runai/[^"]*:metrics"[[:space:]]*:[[:space:]]*"[^"]*"' || true)
pod_discovery=$(json_string_field "$RUN/sim.json" podDiscovery)

# Wait for the components whose artifact is built to serve /metrics; one that does not is reported, not fatal,
# so the stack stays up to be diagnosed (kubectl get pods -n runai, kubectl logs).
built_images=()
for entry in "${IMAGES[@]}"; do
  IFS='|' read -r i_image i_command <<<"$entry"
  unbuilt=0
  for word in ${i_command//\{root\}/$RUNAI_ROOT}; do [[ "$word" == /* && ! -e "$word" ]] && unbuilt=1; done
  ((unbuilt)) || built_images+=("$i_image")
done
component_urls=()
[[ -n "$exporter" ]] && component_urls+=("workload-exporter|$exporter")
component_urls+=(${controllers[@]+"${controllers[@]}"})
if ((${#component_urls[@]})); then
  step "Waiting for the components in the cluster (${#component_urls[@]} with a metrics Service; built images: ${built_images[*]:-none})"
  deadline=$((SECONDS + start_timeout))
  for c in "${component_urls[@]}"; do
    c_name="${c%%|*}" c_url="${c#*|}" code=000
    # Only components whose image is built can answer; the others wait in ImagePullBackOff.
    c_image=$(grep -ho 'image: *[^ ]*' "deploy/components/$c_name.yaml" 2>/dev/null | head -n 1 | sed 's/image: *//; s/["'"'"']//g')
    [[ -n "$c_image" && " ${built_images[*]:-} " != *" $c_image "* ]] && { warn "$c_name: image $c_image is not built; its pods wait in ImagePullBackOff"; continue; }
    while ((SECONDS < deadline)); do
      check_running sim
      code=$(http_status "$c_url")
      [[ "$code" == 200 ]] && break
      sleep 0.5
    done
    [[ "$code" == 200 ]] || warn "$c_name does not answer at $c_url yet (see: .run/bin/kubectl get pods -n runai; kubectl logs -n runai deploy/$c_name)"
  done
fi

# runai-node-exporter runs as a DaemonSet, one pod per GPU node; each pod's loopback URL (from its sim.run.ai/ports
# annotation) goes to "nodeExporters" once it answers.
if [[ " ${built_images[*]:-} " == *" runai/node-daemon:dev "* && -f deploy/components/runai-node-exporter.yaml ]]; then
  step "Waiting for runai-node-exporter on the GPU nodes"
  deadline=$((SECONDS + start_timeout)) ne_desired=""
  while ((SECONDS < deadline)); do
    check_running sim
    ne_desired=$(kubectl get daemonset -n runai runai-node-exporter -o jsonpath='{.status.desiredNumberScheduled}' 2>/dev/null || true)
    node_exporters=()
    while read -r _ ne_ports; do
      [[ "$ne_ports" =~ \"9500\":([0-9]+) ]] || continue
      ne_url="http://127.0.0.1:${BASH_REMATCH[1]}/metrics"
      [[ "$(http_status "$ne_url")" == 200 ]] && node_exporters+=("$ne_url")
    done < <(kubectl get pods -n runai -l app=runai-node-exporter \
      -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.metadata.annotations.sim\.run\.ai/ports}{"\n"}{end}' 2>/dev/null | sort || true)
    [[ -n "$ne_desired" && "$ne_desired" != 0 ]] && ((${#node_exporters[@]} >= ne_desired)) && break
    sleep 0.5
  done
  [[ -n "$ne_desired" ]] && ((${#node_exporters[@]} >= ne_desired)) \
    || warn "runai-node-exporter answers on ${#node_exporters[@]} of ${ne_desired:-?} nodes (see: .run/bin/kubectl get pods -n runai -l app=runai-node-exporter)"
fi

# ---------------------------------------------------------------------------------------------
# Prometheus

step "Starting Prometheus"
free_port prom_port
prometheus_url="http://127.0.0.1:$prom_port"
scrape_jobs+=("prometheus|http|127.0.0.1:$prom_port|/metrics|")
{
  echo "# Generated by run.sh; rewritten on every start."
  echo "global:"
  echo "  scrape_interval: 5s"
  echo "  evaluation_interval: 5s"
  rules=()
  for f in alerts/rules/*.yaml alerts/rules/*.yml; do [[ -f "$f" ]] && rules+=("$RUNAI_ROOT/$f"); done
  if ((${#rules[@]})); then
    echo "rule_files:"
    for f in "${rules[@]}"; do echo "  - '$f'"; done
  fi
  echo "scrape_configs:"
  if [[ -n "${pod_discovery:-}" ]]; then
    # Every ready replica of every component pod, found through the sim's HTTP service discovery;
    # each is scraped under a job named after its component (the pod's app label).
    echo "  - job_name: 'runai-pods'"
    echo "    scheme: 'http'"
    # Series labels win over target labels: the node exporter's GPU series name the pod holding the GPU, and the
    # workload exporter's the workload's namespace and the node they describe.
    echo "    honor_labels: true"
    echo "    http_sd_configs:"
    echo "      - url: '$pod_discovery'"
    echo "        refresh_interval: 5s"
    if [[ -s "$RUN/ca.crt" ]]; then
      echo "        tls_config: {ca_file: '$RUN/ca.crt'}"
    else
      echo "        tls_config: {insecure_skip_verify: true}"
    fi
    echo "    relabel_configs:"
    echo "      - {source_labels: [component], regex: '(.+)', target_label: job}"
  fi
  declare -A seen_job=()
  for j in "${scrape_jobs[@]}"; do
    IFS='|' read -r job scheme _ path _ <<<"$j"
    [[ -n "${seen_job[$job]:-}" ]] && continue
    seen_job[$job]=1
    echo "  - job_name: '$job'"
    echo "    scheme: '$scheme'"
    echo "    metrics_path: '$path'"
    if [[ "$scheme" == https ]]; then
      # The simulated API server's certificate comes from its own CA, written next to the kubeconfig.
      if [[ -s "$RUN/ca.crt" ]]; then
        echo "    tls_config: {ca_file: '$RUN/ca.crt'}"
      else
        echo "    tls_config: {insecure_skip_verify: true}"
      fi
    fi
    echo "    static_configs:"
    # All targets of a job (one per node for a node exporter) share its entry.
    for k in "${scrape_jobs[@]}"; do
      IFS='|' read -r job2 _ target _ node <<<"$k"
      [[ "$job2" == "$job" ]] || continue
      echo "      - targets: ['$target']"
      [[ -n "$node" ]] && echo "        labels: {node: '$node'}"
    done
  done
} >"$RUN/prometheus.yml"
start_proc prometheus prometheus --config.file="$RUN/prometheus.yml" --storage.tsdb.path="$RUN/prometheus" \
  --web.listen-address="127.0.0.1:$prom_port"
wait_http prometheus "$prometheus_url/-/ready"

# ---------------------------------------------------------------------------------------------
# Operator tools in .run/bin

real_kubectl=$(command -v kubectl)
{
  echo '#!/usr/bin/env bash'
  echo '# kubectl pinned to the simulated cluster of ./run.sh.'
  printf 'exec %q --kubeconfig %q "$@"\n' "$real_kubectl" "$kubeconfig"
} >"$RUN/bin/kubectl"
tools=(kubectl)
for entry in "${OPERATOR_TOOLS[@]}"; do
  IFS='|' read -r t_name t_artifact <<<"$entry"
  [[ -e "$t_artifact" ]] || continue
  {
    echo '#!/usr/bin/env bash'
    echo "# $t_name against the simulated cluster of ./run.sh (--kubeconfig still overrides)."
    printf 'export KUBECONFIG=%q\n' "$kubeconfig"
    if [[ "$t_artifact" == *.dll ]]; then
      printf 'exec dotnet %q "$@"\n' "$RUNAI_ROOT/$t_artifact"
    else
      printf 'exec %q "$@"\n' "$RUNAI_ROOT/$t_artifact"
    fi
  } >"$RUN/bin/$t_name"
  tools+=("$t_name")
done
chmod +x "$RUN"/bin/*

# ---------------------------------------------------------------------------------------------
# endpoints.json, last and atomically

json_list() { local sep="" u; printf '['; for u in "$@"; do printf '%s%s' "$sep" "$(json_quote "$u")"; sep=", "; done; printf ']'; }
json_controllers() {
  local sep="" c
  printf '{'
  for c in "$@"; do printf '%s%s: %s' "$sep" "$(json_quote "${c%%|*}")" "$(json_quote "${c#*|}")"; sep=", "; done
  printf '}'
}
{
  printf '{\n'
  printf '  "kubeconfig": %s,\n' "$(json_quote "$kubeconfig")"
  printf '  "kubeApi": %s,\n' "$(json_quote "$kube_api")"
  printf '  "prometheus": %s,\n' "$(json_quote "$prometheus_url")"
  printf '  "nats": %s,\n' "$(json_quote "$nats_url")"
  printf '  "natsMonitor": %s,\n' "$(json_quote "$nats_monitor")"
  printf '  "backend": %s,\n' "$(json_quote "$backend")"
  printf '  "exporter": %s,\n' "$(json_quote "$exporter")"
  printf '  "nodeExporters": %s,\n' "$(json_list ${node_exporters[@]+"${node_exporters[@]}"})"
  printf '  "controllers": %s\n' "$(json_controllers ${controllers[@]+"${controllers[@]}"})"
  printf '}\n'
} >"$RUN/endpoints.json.tmp"
mv -f "$RUN/endpoints.json.tmp" "$RUN/endpoints.json"

# ---------------------------------------------------------------------------------------------
# Where everything is

row() { printf '  %-15s %s\n' "$1" "${2:--}"; }
say ""
say "${_c_green}${_c_bold}Stack ready in $((SECONDS - t0)) s${_c_off} (./run.sh is pid $$)"
row kubeconfig "$kubeconfig"
row kubeApi "$kube_api"
row prometheus "$prometheus_url"
row nats "$nats_url"
row natsMonitor "$nats_monitor"
row backend "$backend"
row exporter "$exporter"
if ((${#node_exporters[@]})); then row nodeExporters "${#node_exporters[@]} (one per node: ${nodes[*]})"; else row nodeExporters ""; fi
row controllers "${controllers[*]:+${#controllers[@]}:}"
for c in ${controllers[@]+"${controllers[@]}"}; do printf '    %-26s %s\n' "${c%%|*}" "${c#*|}"; done
row endpoints "$RUN/endpoints.json"
row logs "$LOGS/"
row tools "$RUN/bin/: ${tools[*]}"
say ""
say "  try: .run/bin/kubectl get nodes"
if [[ -n "$for_seconds" ]]; then
  say "Running for $for_arg; Ctrl-C stops it sooner."
  sleep "$for_seconds" &
  timer_pid=$!
else
  say "Running until Ctrl-C."
fi

# ---------------------------------------------------------------------------------------------
# Stay up: report each exit once, restart nothing. Signals interrupt `wait` and run the traps.

while :; do
  done_pid=""
  st=0
  # 2>/dev/null: bash's own "Killed …" job notice would repeat what the line below says.
  wait -n -p done_pid 2>/dev/null || st=$?
  if [[ -z "$done_pid" ]]; then
    # No child left at all (the traps exit on their own, so they do not come back here).
    say "Every process has exited; nothing left to run."
    exit 1
  fi
  if [[ "$done_pid" == "$timer_pid" ]]; then
    say "--for $for_arg has passed."
    stop_all
    say "Stopped."
    exit 0
  fi
  say "${_c_yellow}${name_of[$done_pid]:-pid $done_pid} (pid $done_pid) exited with status $st; the rest keep running${_c_off}"
  remaining=0
  for p in "${order[@]}"; do alive "$p" && remaining=$((remaining + 1)); done
  if ((remaining == 0)) && [[ -z "$timer_pid" ]]; then
    say "Every process has exited; nothing left to run."
    exit 1
  fi
done
