# shellcheck shell=bash
# Shared shell helpers for run.sh, test.sh and bench/run.sh. Source it; do not run it.
# Works with bash 5 and coreutils only: a fresh machine has no python3, jq or curl.

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Repository root, whatever directory the caller was started from.
RUNAI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  _c_bold=$'\e[1m' _c_red=$'\e[31m' _c_green=$'\e[32m' _c_yellow=$'\e[33m' _c_off=$'\e[0m'
else
  _c_bold='' _c_red='' _c_green='' _c_yellow='' _c_off=''
fi

say()  { printf '%s\n' "$*"; }
step() { printf '%s==> %s%s\n' "$_c_bold" "$*" "$_c_off"; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_off" "$*" >&2; }
die()  { printf '%serror:%s %s\n' "$_c_red" "$_c_off" "$*" >&2; exit 1; }

# Last lines of a log, indented, so a failure message shows why without opening the file.
log_tail() {
  local file="$1" lines="${2:-20}"
  if [[ -s "$file" ]]; then
    printf '    --- last %s lines of %s ---\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/    /' >&2
  else
    printf '    (%s is empty or missing)\n' "$file" >&2
  fi
}

# ---------------------------------------------------------------------------------------------
# Installs

# Debian puts nats-server in /usr/sbin, which is not on every PATH.
nats_server_bin() {
  if [[ -x /usr/sbin/nats-server ]]; then echo /usr/sbin/nats-server
  else command -v nats-server 2>/dev/null || true
  fi
}

# Installs the Debian packages the stack and the tests need, only when something is missing,
# with one `apt-get update` for the lot. Output goes to $1 (a log file) to keep the console short.
ensure_tools() {
  local log="${1:-/dev/null}" missing=()
  [[ -n "$(nats_server_bin)" ]] || missing+=(nats-server)
  { command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
  command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
  ((${#missing[@]} == 0)) && return 0

  step "Installing ${missing[*]} (apt-get; log: $log)"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || die "need root to install ${missing[*]}: run 'apt-get install -y ${missing[*]}' as root"
    sudo=(sudo)
  fi
  # Other apt users on the machine hold the lock for a while; wait for it rather than fail.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  if ! { "${apt[@]}" update -q && "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1; then
    log_tail "$log"
    die "apt-get could not install ${missing[*]}"
  fi
  [[ -n "$(nats_server_bin)" ]] || die "nats-server is still missing after apt-get install"
  command -v prometheus >/dev/null 2>&1 || die "prometheus is still missing after apt-get install"
  command -v kubectl >/dev/null 2>&1 || die "kubectl is still missing after apt-get install kubernetes-client"
}

# ---------------------------------------------------------------------------------------------
# Build

# Release build of the whole solution, plus the NVML test library once it exists.
build_all() {
  local log="$1"
  step "Building (dotnet build -c Release; log: $log)"
  if ! dotnet build "$RUNAI_ROOT/Observability.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >"$log" 2>&1; then
    # ErrorsOnly keeps the log to the errors themselves, so show all of it (bounded).
    log_tail "$log" 60
    die "dotnet build failed (full log: $log)"
  fi
  if [[ -f "$RUNAI_ROOT/node-daemon/nvml-sim/Makefile" ]]; then
    step "Building the NVML test library (make -C node-daemon/nvml-sim)"
    if ! make -C "$RUNAI_ROOT/node-daemon/nvml-sim" >>"$log" 2>&1; then
      log_tail "$log" 40
      die "make -C node-daemon/nvml-sim failed (full log: $log)"
    fi
  fi
}

# ---------------------------------------------------------------------------------------------
# Ports and HTTP, without python3 or curl

# Ports some process listens on now, from the kernel's socket tables (hex ports, state 0A = LISTEN).
_listening_ports() {
  local f
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r "$f" ]] || continue
    while read -r _ local _ state _; do
      [[ "$state" == 0A ]] && echo $((16#${local##*:}))
    done < <(tail -n +2 "$f")
  done
  return 0   # callers run under set -e and pipefail; a last non-listener is no failure
}

_ports_given=" "
# free_port VAR: sets VAR to a loopback TCP port that nobody listens on and this script has not
# handed out yet (so call it in the script's own shell, not in $(...), or the memory is lost).
# Chosen below the kernel's ephemeral range so outgoing connections do not take it meanwhile.
free_port() {
  local busy p tries
  busy=" $(_listening_ports | tr '\n' ' ') "
  for ((tries = 0; tries < 200; tries++)); do
    p=$((20000 + RANDOM % 12000))
    [[ "$busy" == *" $p "* || "$_ports_given" == *" $p "* ]] && continue
    # Belt and braces: nothing answers on it either.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      _ports_given+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  die "could not find a free loopback port"
}

# http_status URL → prints the HTTP status code (000 when nothing answers). Plain http only.
http_status() {
  local url="$1" rest hostport host port path line
  rest="${url#http://}"
  hostport="${rest%%/*}"
  path="${rest#"$hostport"}"
  [[ -n "$path" ]] || path=/
  host="${hostport%:*}"; port="${hostport##*:}"
  [[ "$port" == "$hostport" ]] && port=80
  line=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    IFS= read -r -t 3 line <&3 && printf '%s' "$line"
  ) || true
  line="${line#HTTP/* }"
  [[ "$line" =~ ^([0-9]{3}) ]] && echo "${BASH_REMATCH[1]}" || echo 000
}

# ---------------------------------------------------------------------------------------------
# Small parsers

# parse_duration 90 | 120s | 5m | 1h | 1h30m → seconds. Fails on anything else.
parse_duration() {
  local s="$1" total=0 n u
  [[ "$s" =~ ^[0-9]+$ ]] && { echo "$s"; return 0; }
  [[ "$s" =~ ^([0-9]+[smhd])+$ ]] || return 1
  while [[ "$s" =~ ^([0-9]+)([smhd])(.*)$ ]]; do
    n=$((10#${BASH_REMATCH[1]})) u="${BASH_REMATCH[2]}" s="${BASH_REMATCH[3]}"
    case "$u" in
      s) total=$((total + n)) ;;
      m) total=$((total + n * 60)) ;;
      h) total=$((total + n * 3600)) ;;
      d) total=$((total + n * 86400)) ;;
    esac
  done
  echo "$total"
}

# json_string_field FILE KEY → the string value of a top-level "KEY": "value" (flat JSON only).
json_string_field() {
  tr -d '\n\r' <"$1" | sed -n 's/.*"'"$2"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# json_string_array FILE KEY → the strings of "KEY": ["a", "b"], one per line.
json_string_array() {
  tr -d '\n\r' <"$1" | sed -n 's/.*"'"$2"'"[[:space:]]*:[[:space:]]*\[\([^]]*\)\].*/\1/p' \
    | tr ',' '\n' | sed -n 's/^[[:space:]]*"\([^"]*\)"[[:space:]]*$/\1/p'
}

# json_quote STRING → "STRING" with JSON escapes, or null for the empty string.
json_quote() {
  [[ -z "$1" ]] && { printf 'null'; return; }
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}
