#!/usr/bin/env bash
# bench/run.sh node-daemon [--quick]
#
# runai-node-exporter's cost on a node, side by side with Debian's prometheus-node-exporter in the same run:
# the NativeAOT build (what the DaemonSet ships), the JIT build for comparison, and node-exporter, each scraped
# every second while the exporter samples 8 simulated GPUs every second. The GPUs come from the NVML test library
# (node-daemon/nvml-sim) through the real P/Invoke path; a one-node simulated cluster serves the kubelet
# pod-resources socket and the API, so attribution and the node labels run as in production.
# Measured after a warm-up: resident memory (VmRSS at the end, VmHWM peak) and CPU (utime+stime over the window,
# as % of one core). Last line: one JSON object.
set -euo pipefail

# shellcheck source=../../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$RUNAI_ROOT"

quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    *) die "unknown argument '$a' (usage: bench/run.sh node-daemon [--quick])" ;;
  esac
done
warmup=10 window=60
((quick)) && warmup=5 window=15

work=$(mktemp -d /tmp/node-daemon-bench.XXXXXX)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---- what is measured, built and installed if missing
if ! command -v prometheus-node-exporter >/dev/null 2>&1; then
  step "Installing Debian's prometheus-node-exporter (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus-node-exporter >"$work/apt.log" 2>&1 \
    || { log_tail "$work/apt.log"; die "apt-get could not install prometheus-node-exporter"; }
fi
step "Building the NVML test library, the simulated cluster and the daemon (JIT and NativeAOT)"
make -s -C node-daemon/nvml-sim
dotnet build sim/Sim.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >"$work/build.log" 2>&1 || { log_tail "$work/build.log"; die "building the sim failed"; }
dotnet build node-daemon/NodeDaemon.csproj -c Release -nologo -v quiet -clp:ErrorsOnly >>"$work/build.log" 2>&1 || { log_tail "$work/build.log"; die "building the daemon failed"; }
aot_dir=node-daemon/bin/Release/aot
dotnet publish node-daemon/NodeDaemon.csproj -c Release -r linux-x64 -o "$aot_dir" -nologo -v quiet -clp:ErrorsOnly >>"$work/build.log" 2>&1 \
  || { log_tail "$work/build.log"; die "the NativeAOT publish failed"; }
aot="$RUNAI_ROOT/$aot_dir/Runai.NodeDaemon"
jit="$RUNAI_ROOT/node-daemon/bin/Release/net10.0/Runai.NodeDaemon"

# ---- a one-node cluster with 8 GPUs
step "Starting a one-node simulated cluster (8 GPUs, 4 held by a pod)"
dotnet sim/bin/Release/net10.0/Runai.Sim.dll --listen 127.0.0.1:0 --scenario bench/node-daemon/scenario.yaml \
  --run-dir "$work/sim" >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do [[ -s "$work/sim/sim.json" ]] && break; kill -0 "${pids[0]}" 2>/dev/null || { log_tail "$work/sim.log"; die "the simulated cluster exited"; }; sleep 0.5; done
[[ -s "$work/sim/sim.json" ]] || die "the simulated cluster did not start"
socket=$(json_string_field "$work/sim/sim.json" bench-node)
devices="$work/sim/kubelet/bench-node/nvml/devices.conf"
for _ in $(seq 1 60); do [[ -s "$devices" ]] && grep -q 'util_gpu=92' "$devices" && break; sleep 0.5; done

# ---- the three exporters
start_daemon() { # NAME BINARY PORT
  NVML_SIM_CONFIG="$devices" "$2" --node bench-node --listen "127.0.0.1:$3" --interval 1s \
    --nvml-library "$RUNAI_ROOT/node-daemon/nvml-sim/build" --pod-resources-socket "$socket" \
    --kubeconfig "$work/sim/kubeconfig" >"$work/$1.log" 2>&1 &
  pids+=($!)
}
free_port aot_port; start_daemon aot "$aot" "$aot_port"; aot_pid=${pids[-1]}
free_port jit_port; start_daemon jit "$jit" "$jit_port"; jit_pid=${pids[-1]}
free_port ne_port
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" >"$work/node-exporter.log" 2>&1 &
pids+=($!); ne_pid=${pids[-1]}

# Whole page to /dev/null over bash's /dev/tcp (no curl needed); prints the byte count.
scrape() {
  local port="$1"
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    cat <&3 | wc -c
  ) 2>/dev/null || echo 0
}
for p in "$aot_port" "$jit_port" "$ne_port"; do
  for _ in $(seq 1 60); do [[ "$(http_status "http://127.0.0.1:$p/metrics")" == 200 ]] && break; sleep 0.5; done
done

# CPU ticks (utime + stime) of a pid.
ticks() { local s; read -r s <"/proc/$1/stat"; s="${s##*) }"; set -- $s; echo $((${12} + ${13})); }
kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }

step "Warming up ${warmup} s, then measuring ${window} s (every exporter scraped once a second)"
sleep "$warmup"
# Attribution must have happened: half the GPUs carry the pod (checked on the page, not assumed).
page=$( (exec 3<>"/dev/tcp/127.0.0.1/$aot_port"; printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; cat <&3) )
gpus=$(grep -c '^runai_gpu_up{' <<<"$page" || true)
held=$(grep -c '^runai_gpu_up{.*pod="bench-trainer-0".*workload="bench-trainer"' <<<"$page" || true)
t0=$(date +%s.%N)
a0=$(ticks "$aot_pid") j0=$(ticks "$jit_pid") n0=$(ticks "$ne_pid")
scrapes=0 page_bytes=0
end=$((SECONDS + window))
while ((SECONDS < end)); do
  page_bytes=$(scrape "$aot_port"); scrape "$jit_port" >/dev/null; scrape "$ne_port" >/dev/null
  scrapes=$((scrapes + 1))
  sleep 1
done
t1=$(date +%s.%N)
a1=$(ticks "$aot_pid") j1=$(ticks "$jit_pid") n1=$(ticks "$ne_pid")
hz=$(getconf CLK_TCK)

cpu() { awk -v d="$(($2 - $1))" -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.3f", 100 * d / hz / (t1 - t0) }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
aot_rss=$(kib "$aot_pid" VmRSS) aot_hwm=$(kib "$aot_pid" VmHWM) aot_anon=$(kib "$aot_pid" RssAnon)
jit_rss=$(kib "$jit_pid" VmRSS) ne_rss=$(kib "$ne_pid" VmRSS) ne_hwm=$(kib "$ne_pid" VmHWM)
ratio=$(awk -v a="$aot_rss" -v n="$ne_rss" 'BEGIN { printf "%.2f", a / n }')
jit_ratio=$(awk -v a="$jit_rss" -v n="$ne_rss" 'BEGIN { printf "%.2f", a / n }')
binary_mb=$(awk -v b="$(stat -c %s "$aot")" 'BEGIN { printf "%.1f", b / 1048576 }')
ne_version=$(prometheus-node-exporter --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p')
cores=$(nproc)
mem_gib=$(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
os=$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release)
load=$(cut -d ' ' -f 1 /proc/loadavg)

say "AOT: $(mb "$aot_rss") MB RSS, $(cpu "$a0" "$a1") % CPU; JIT: $(mb "$jit_rss") MB; node-exporter: $(mb "$ne_rss") MB, $(cpu "$n0" "$n1") % CPU; $gpus GPUs, $held held"
printf '{"benchmark":"node-daemon","quick":%s,"gpus":%s,"gpus_attributed":%s,"sample_interval_s":1,"scrape_interval_s":1,"window_s":%s,"scrapes":%s,"page_bytes":%s,' \
  "$( ((quick)) && echo true || echo false)" "$gpus" "$held" "$window" "$scrapes" "$page_bytes"
printf '"build":"nativeaot","binary_mb":%s,"rss_mb":%s,"rss_peak_mb":%s,"rss_anon_mb":%s,"cpu_percent":%s,' \
  "$binary_mb" "$(mb "$aot_rss")" "$(mb "$aot_hwm")" "$(mb "$aot_anon")" "$(cpu "$a0" "$a1")"
printf '"node_exporter_rss_mb":%s,"node_exporter_rss_peak_mb":%s,"node_exporter_cpu_percent":%s,"node_exporter_version":"%s","rss_ratio_vs_node_exporter":%s,' \
  "$(mb "$ne_rss")" "$(mb "$ne_hwm")" "$(cpu "$n0" "$n1")" "$ne_version" "$ratio"
printf '"jit_rss_mb":%s,"jit_cpu_percent":%s,"jit_rss_ratio_vs_node_exporter":%s,' "$(mb "$jit_rss")" "$(cpu "$j0" "$j1")" "$jit_ratio"
printf '"machine":{"cores":%s,"memoryGiB":%s,"cpu":"%s","os":"%s","loadAverage":"%s"},"date":"%s"}\n' \
  "$cores" "$mem_gib" "$cpu_model" "$os" "$load" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
