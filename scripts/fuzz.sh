#!/usr/bin/env bash
# The long form of the fuzz tests (tests/fuzz/README.md): runs each libFuzzer
# target of build-asan/ (scripts/test.sh builds it) for many inputs, one after
# another, and prints a line per target: inputs tried, coverage, time,
# findings. The grown corpus and any crash inputs stay in build-asan/fuzz/.
#
#   scripts/fuzz.sh                         10,000,000 inputs for each target
#   scripts/fuzz.sh --runs N [target...]    N inputs for the targets named
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10000000
if [ "${1:-}" = "--runs" ]; then
  runs=$2
  shift 2
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(checkpoint idx text dlpack)

for t in "${targets[@]}"; do
  [ -x "build-asan/fuzz_$t" ] || { echo "build-asan/fuzz_$t is missing: run scripts/test.sh first" >&2; exit 1; }
done

status=0
for t in "${targets[@]}"; do
  work="build-asan/fuzz/$t"
  mkdir -p "$work"
  log="$work/long-run.log"
  start=$(date +%s)
  if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "build-asan/fuzz_$t" -runs="$runs" -seed=1 \
      -max_len=4096 -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$work/" \
      "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    result="0 findings"
  else
    result="FINDING (see $log)"
    status=1
  fi
  seconds=$(( $(date +%s) - start ))
  done_line=$(grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -1 || true)
  printf '%-11s %s inputs, %s s, %s; %s\n' "$t" "$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" |
    grep -oE '[0-9]+$' || echo '?')" "$seconds" "$(echo "$done_line" | grep -oE 'cov: [0-9]+ ft: [0-9]+' || echo 'no coverage line')" \
    "$result"
done
exit $status
