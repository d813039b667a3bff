#!/usr/bin/env bash
# ./test.sh — installs what is missing (as ./run.sh does), builds, then runs every test:
#   dotnet test Observability.sln       (each test case counts)
#   promtool test rules alerts/tests/*  (each file counts)
#   promtool check rules alerts/rules/* (each file counts)
#   dashboard checks on dashboards/*.json (each file counts; see scripts/check-dashboards.cs)
# and ends with exactly one line "N passed, N failed, N skipped". Exits non-zero when anything
# failed or when no test ran at all. Works without a terminal or stdin (CI=true).
# Details land in .run/test-results/ (trx files, logs).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/scripts/lib.sh"
cd "$RUNAI_ROOT"
exec </dev/null

RESULTS="$RUNAI_ROOT/.run/test-results"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"

passed=0 failed=0 skipped=0
failed_sections=()

# Prints the closing line and leaves; everything above it is free-form.
finish() {
  say ""
  if ((${#failed_sections[@]})); then
    local joined
    joined=$(printf '%s, ' "${failed_sections[@]}")
    say "${_c_red}Failed: ${joined%, }${_c_off}"
  fi
  if ((passed + failed == 0)); then
    say "${_c_red}No test ran.${_c_off}"
  fi
  printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
  ((failed == 0 && passed > 0))
}

# ---------------------------------------------------------------------------------------------
# Installs and build. A failure here is one failed test and stops the run (nothing to test).

tools_ok=1
if ! (ensure_tools "$RESULTS/install.log"); then
  tools_ok=0
  failed=$((failed + 1))
  failed_sections+=("install")
fi

if ! (build_all "$RESULTS/build.log"); then
  failed=$((failed + 1))
  failed_sections+=("build")
  finish
  exit 1
fi

# ---------------------------------------------------------------------------------------------
# dotnet test

step "dotnet test"
trx_dir="$RESULTS/dotnet"
dotnet_status=0
# minimal console verbosity: every failure in full, one summary line per test assembly.
# The hang timeout keeps a stuck test from eating the whole CI budget. Test assemblies run one after another
# (-m:1): several start real processes and measure failover times, which two cores shared by all assemblies skew.
dotnet test Observability.sln -c Release --no-build --nologo -m:1 \
  --logger trx --logger "console;verbosity=minimal" --results-directory "$trx_dir" \
  --blame-hang-timeout 15m --blame-hang-dump-type none 2>&1 | tee "$RESULTS/dotnet-test.log" \
  || dotnet_status=$?

d_total=0 d_executed=0 d_passed=0 d_failed=0 trx_files=0
# attr NAME → the number in NAME="…" of the current <Counters> element (0 when absent).
attr() { local v; v=$(sed -n 's/.* '"$1"'="\([0-9]*\)".*/\1/p' <<<"$counters"); echo "${v:-0}"; }
for trx in "$trx_dir"/*.trx; do
  [[ -f "$trx" ]] || continue
  trx_files=$((trx_files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1 || true)
  d_total=$((d_total + $(attr total)))
  d_executed=$((d_executed + $(attr executed)))
  d_passed=$((d_passed + $(attr passed)))
  d_failed=$((d_failed + $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted)))
done
d_skipped=$((d_total - d_executed))
if ((dotnet_status != 0 && d_failed == 0)); then
  # A crashed or hung test host can leave no failing test behind; the exit status still counts.
  say "${_c_red}dotnet test exited with status $dotnet_status without a failing test in its results (see $RESULTS/dotnet-test.log)${_c_off}"
  d_failed=1
fi
say "dotnet test: $d_passed passed, $d_failed failed, $d_skipped skipped ($trx_files test assemblies)"
passed=$((passed + d_passed)) failed=$((failed + d_failed)) skipped=$((skipped + d_skipped))
((d_failed == 0)) || failed_sections+=("dotnet-test")

# ---------------------------------------------------------------------------------------------
# promtool: each file one test; passes summarized, failures shown in full.

# run_per_file SECTION COMMAND... -- FILES...
run_per_file() {
  local section="$1"; shift
  local cmd=() f out ok=0 bad=0
  while [[ "$1" != -- ]]; do cmd+=("$1"); shift; done
  shift
  for f in "$@"; do
    if out=$("${cmd[@]}" "$f" 2>&1); then
      ok=$((ok + 1))
    else
      bad=$((bad + 1))
      say "${_c_red}FAIL${_c_off} ${cmd[*]} $f"
      sed 's/^/    /' <<<"$out"
    fi
  done
  say "$section: $ok passed, $bad failed"
  passed=$((passed + ok)) failed=$((failed + bad))
  ((bad == 0)) || failed_sections+=("$section")
}

shopt -s nullglob
rule_tests=(alerts/tests/*.yaml alerts/tests/*.yml)
rule_files=(alerts/rules/*.yaml alerts/rules/*.yml)
dashboards=(dashboards/*.json)
shopt -u nullglob

if ((${#rule_tests[@]} + ${#rule_files[@]})) && ((tools_ok == 0)); then
  say "promtool is missing (the install failed): alert rules not checked"
else
  step "promtool test rules alerts/tests/"
  if ((${#rule_tests[@]})); then
    run_per_file "promtool test rules" promtool test rules -- "${rule_tests[@]}"
  else
    say "no alerts/tests/*.yaml yet"
  fi
  step "promtool check rules alerts/rules/"
  if ((${#rule_files[@]})); then
    run_per_file "promtool check rules" promtool check rules -- "${rule_files[@]}"
  else
    say "no alerts/rules/*.yaml yet"
  fi
fi

# ---------------------------------------------------------------------------------------------
# Dashboards

step "dashboard checks dashboards/"
if ((${#dashboards[@]})); then
  d_out=$(dotnet run scripts/check-dashboards.cs -- "${dashboards[@]}" 2>&1) || true
  d_ok=$(grep -c '^PASS ' <<<"$d_out" || true)
  d_bad=$(grep -c '^FAIL ' <<<"$d_out" || true)
  if ((d_ok + d_bad == 0)); then
    # The checker itself did not run (did not build, say): that is a failure, not a pass.
    sed 's/^/    /' <<<"$d_out"
    d_bad=1
  else
    # Failures with their problems in full; passes only counted.
    awk '/^FAIL /{show=1; print; next} /^PASS /{show=0; next} show' <<<"$d_out"
  fi
  say "dashboard checks: $d_ok passed, $d_bad failed"
  passed=$((passed + d_ok)) failed=$((failed + d_bad))
  ((d_bad == 0)) || failed_sections+=("dashboards")
else
  say "no dashboards/*.json yet"
fi

finish
