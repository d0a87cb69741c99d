#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fuzz smoke run (docs/FUZZING.md, issue 16 item 3): builds the libFuzzer targets with
# the fuzz preset and runs every one of them for SECONDS (default 15) on a scratch copy of
# its committed corpus, under ASan and UBSan. Exits non-zero, naming the target and the saved
# input, when any target finds a crash, a sanitizer report, an invariant failure, a leak, a
# run over 10 s or memory over 2 GiB.
#
#   bash scripts/fuzz.sh [SECONDS]
#
# Time: the build (incremental after the first) plus about SECONDS per target. Nothing is
# written into the source tree: corpora grow in a scratch folder ($TMPDIR, /dev/shm when it
# exists) that is removed at the end; a failing input is kept under build/fuzz/smoke/.
set -euo pipefail

seconds="${1:-15}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/fuzz.sh [SECONDS]  (SECONDS: a whole number, 1 or more)" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/install-fuzz-deps.sh
cmake --preset fuzz
cmake --build --preset fuzz --target fuzzers

build="$root/build/fuzz"
kept="$build/smoke"
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm
fi
scratch="$(mktemp -d "${TMPDIR:-/tmp}/promptbench-fuzz-smoke.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

failed=()
ran=0

# Runs one target: a copy of its corpus to grow, artifacts into the scratch folder. Returns
# non-zero when libFuzzer stopped on a finding, after keeping the input and the log.
run_target() {
  local name="$1" binary="$build/tests/fuzz/fuzz_$1"
  local work="$scratch/$name"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -R "tests/fuzz/$name/corpus/." "$work/corpus/"
  local status=0
  # The outer timeout only guards against a hang libFuzzer's own -timeout cannot end.
  timeout --kill-after=10 $((seconds + 120)) "$binary" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || status=$?
  local runs cov
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 || true)"
  if [[ "$status" -eq 0 ]] && [[ -z "$(ls -A "$work/artifacts")" ]]; then
    printf 'fuzz_%-9s ok: %s executions in %ss, %s\n' "$name" "${runs:-?}" "$seconds" "${cov:-cov: ?}"
    return 0
  fi
  mkdir -p "$kept/$name"
  cp "$work/log" "$kept/$name/log"
  local artifact
  for artifact in "$work/artifacts"/*; do
    [[ -e "$artifact" ]] && cp "$artifact" "$kept/$name/"
  done
  echo "fuzz_$name FAILED (exit $status); log: $kept/$name/log" >&2
  grep -E 'ERROR: |fuzz: invariant failed|SUMMARY: |Test unit written' "$work/log" | head -n 20 >&2 || true
  for artifact in "$kept/$name"/*; do
    [[ "$(basename "$artifact")" == log ]] || echo "  input: $artifact (replay: $binary $artifact)" >&2
  done
  return 1
}

# Every target: tests/fuzz/<name>/fuzz_<name>.cpp with its corpus/ (support/ is no target).
for dir in tests/fuzz/*/; do
  name="$(basename "$dir")"
  [[ -f "$dir/fuzz_$name.cpp" && -d "$dir/corpus" ]] || continue
  ran=$((ran + 1))
  run_target "$name" || failed+=("fuzz_$name")
done
if [[ "$ran" -eq 0 ]]; then
  echo "fuzz smoke: no target found under tests/fuzz/" >&2
  exit 2
fi

# The reports eval wrote must also re-serialise to their own JSON and hold the summary
# their cases give (fuzz_report's strict mode; mutated inputs need not).
if ! PROMPTBENCH_FUZZ_REPORT_FROM_EVAL=1 "$build/tests/fuzz/fuzz_report" \
  tests/fuzz/report/corpus/eval-*.json >"$scratch/report-from-eval.log" 2>&1; then
  mkdir -p "$kept/report-from-eval"
  cp "$scratch/report-from-eval.log" "$kept/report-from-eval/log"
  grep -E 'fuzz: invariant failed|Running: ' "$scratch/report-from-eval.log" >&2 || true
  echo "fuzz_report FAILED on the reports eval wrote; log: $kept/report-from-eval/log" >&2
  failed+=("fuzz_report (reports from eval)")
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz smoke: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz smoke: all $ran targets ran ${seconds}s each without a finding"
