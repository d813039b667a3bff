#!/usr/bin/env bash
# bench/run.sh NAME [--quick] — runs one benchmark; bench/run.sh --list names them.
#   bench/NAME/run.sh present       → that script, with --quick passed on
#   else bench/Bench.csproj present → dotnet run -c Release --project bench/Bench.csproj -- NAME [--quick]
#     (that program answers --list with its names, one a line, and exits 2 on a name it lacks)
#   else                            → the list of benchmarks, exit 2
# Every benchmark prints its figures as one JSON object on its last line of output.
set -euo pipefail

# shellcheck source=../scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$RUNAI_ROOT"

project=bench/Bench.csproj

list_benchmarks() {
  local d
  for d in bench/*/; do
    [[ -f "$d/run.sh" ]] && say "  $(basename "$d")    (bench/$(basename "$d")/run.sh)"
  done
  if [[ -f "$project" ]]; then
    dotnet run -c Release --project "$project" -- --list 2>/dev/null | grep -v ": warning " | sed 's/^/  /;s/$/    (bench\/Bench.csproj)/' || true
  fi
  return 0
}

usage() {
  say "usage: bench/run.sh NAME [--quick]    (--quick: a short run for smoke tests)"
  say "       bench/run.sh --list"
}

(($#)) || { usage >&2; say "benchmarks:" >&2; list_benchmarks >&2; exit 2; }
case "$1" in
  -h | --help) usage; exit 0 ;;
  --list) list_benchmarks; exit 0 ;;
esac
name="$1"; shift
quick=()
for a in "$@"; do
  case "$a" in
    --quick) quick=(--quick) ;;
    *) usage >&2; die "unknown argument '$a'" ;;
  esac
done
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || { usage >&2; exit 2; }

if [[ -f "bench/$name/run.sh" ]]; then
  exec bash "bench/$name/run.sh" "${quick[@]}"
elif [[ -f "$project" ]]; then
  exec dotnet run -c Release --project "$project" -- "$name" "${quick[@]}"
fi
say "unknown benchmark '$name'; the benchmarks are:" >&2
listing=$(list_benchmarks)
say "${listing:-  (none yet)}" >&2
exit 2
