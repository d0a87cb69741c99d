#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the Slurm example (examples/scale/slurm/) for real and checks its result: builds
# promptbench and the stub, starts the stub and a private single-node Slurm
# (scripts/slurm-cluster.sh) in a temporary directory, submits the quickstart evaluation as
# an array of SHARDS tasks plus the afterok merge job with the example's submit.sh, waits
# for the merge, runs the same evaluation unsharded, and fails unless the merged report's
# `variants`, `comparisons` and `gates` equal the unsharded report's and the parts' case
# ids are the unsharded run's, each in exactly one part. Stops everything it started.
#
#   bash scripts/test-slurm.sh              # builds build/default first
#   bash scripts/test-slurm.sh --no-build   # binaries from PROMPTBENCH_BIN and
#                                           # PROMPTBENCH_STUB_BIN (default: build/default)
#
# Needs root (slurmd starts the jobs); installs slurm-wlm and munge when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done
shards=${SHARDS:-3}

say() { echo "test-slurm: $*" >&2; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

if [ $build -eq 1 ]; then
  bash scripts/install-deps.sh
  cmake --preset default >/dev/null
  cmake --build --preset default --target promptbench promptbench-stub
fi
# The timing leaves the build out: it is shared with the rest of the test suite.
t_start=$(date +%s.%N)
pb=${PROMPTBENCH_BIN:-$root/build/default/promptbench}
stub=${PROMPTBENCH_STUB_BIN:-$root/build/default/tests/promptbench-stub}
for bin in "$pb" "$stub"; do
  if [ ! -x "$bin" ]; then
    say "no executable $bin (build it, or set PROMPTBENCH_BIN / PROMPTBENCH_STUB_BIN)"
    exit 1
  fi
done
pb=$(cd "$(dirname "$pb")" && pwd)/$(basename "$pb")

# The comparison reads JSON with python3 when the machine has it (Debian does not install
# it by default), else with jq, installed when missing. PB_COMPARE=jq forces jq.
compare_tool=${PB_COMPARE:-}
if [ -z "$compare_tool" ]; then
  if command -v python3 >/dev/null; then compare_tool=python3; else compare_tool=jq; fi
fi
if [ "$compare_tool" = jq ] &&
  ! dpkg-query -W -f='${Status}' jq 2>/dev/null | grep -q "install ok installed"; then
  say "installing jq"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends jq >/dev/null
fi

# Short: munge's socket lives in here and a Unix socket path has at most 107 bytes.
work=$(mktemp -d /tmp/pb-slurm.XXXXXX)
# munged wants every directory above its socket searchable by all.
chmod 0755 "$work"
stub_pid=""
cluster_started=0
job_ids=()
ok=0
cleanup() {
  if [ $cluster_started -eq 1 ]; then
    # Jobs still queued or running (a failure or timeout) go first, so that no job outlives
    # its cluster.
    if [ ${#job_ids[@]} -gt 0 ] && [ $ok -eq 0 ]; then
      scancel "${job_ids[@]}" 2>/dev/null || true
      sleep 1
    fi
    bash "$root/scripts/slurm-cluster.sh" stop "$work/cluster" || true
  fi
  if [ -n "$stub_pid" ]; then
    kill "$stub_pid" 2>/dev/null || true
    wait "$stub_pid" 2>/dev/null || true
  fi
  if [ $ok -eq 1 ]; then
    rm -rf "$work"
    say "took $(elapsed "$t_start") s in all (build excluded), cluster stopped"
  else
    say "FAILED after $(elapsed "$t_start") s; files kept in $work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  say "FAIL: $*"
  exit 1
}

# --- the stub endpoint, as scripts/quickstart.sh starts it -------------------------------
"$stub" --mode sentiment --port 0 --port-file "$work/stub.port" >"$work/stub.log" 2>&1 &
stub_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/stub.port" ] && break
  sleep 0.1
done
[ -s "$work/stub.port" ] || { cat "$work/stub.log" >&2; fail "the stub did not start"; }
stub_port=$(cat "$work/stub.port")
export PROMPTBENCH_BASE_URL="http://127.0.0.1:$stub_port/v1"

# --- the cluster ---------------------------------------------------------------------------
t_cluster=$(date +%s.%N)
cluster_started=1
bash scripts/slurm-cluster.sh start "$work/cluster" >"$work/cluster.env"
# shellcheck disable=SC1091
source "$work/cluster.env"   # export SLURM_CONF=...
cluster_secs=$(elapsed "$t_cluster")
say "cluster up in $cluster_secs s"

# --- the quickstart example, run from its own directory ----------------------------------
run=$work/run
mkdir -p "$run"
cp -r promptbench.yaml prompts datasets "$run/"
cd "$run"

# Both sides must see the same answers *and the same latencies* (latency is one of the
# quickstart's metrics, and every variant reports latency percentiles), so one unsharded
# run fills a response cache first, every task's cache file is seeded with it, and the
# unsharded run compared with is answered from it too. Seeding the per-task files is what
# a rerun after a failure looks like: each task finds the answers it had.
set +e
"$pb" eval promptbench.yaml -o "$work/warmup.json" --cache "$work/warmup.db" -q
warmup_exit=$?
set -e
case $warmup_exit in 0 | 1) ;; *) fail "the warm-up run exited $warmup_exit" ;; esac
mkdir -p .promptbench
seed_cache() {
  local dest=$1 ext
  cp "$work/warmup.db" "$dest"
  for ext in -wal -shm; do
    [ -f "$work/warmup.db$ext" ] && cp "$work/warmup.db$ext" "$dest$ext"
  done
  return 0
}
for ((i = 0; i < shards; i++)); do
  seed_cache ".promptbench/cache-shard-$i.db"
done
seed_cache "$work/single.db"

# --- the example: array + afterok merge --------------------------------------------------
t_jobs=$(date +%s.%N)
PROMPTBENCH=$pb SHARDS=$shards bash "$root/examples/scale/slurm/submit.sh" >"$work/submit.out" ||
  fail "submit.sh exited $?"
array_id=$(sed -n 's/^ARRAY_JOB_ID=//p' "$work/submit.out")
merge_id=$(sed -n 's/^MERGE_JOB_ID=//p' "$work/submit.out")
if [ -z "$array_id" ] || [ -z "$merge_id" ]; then fail "submit.sh printed no job ids"; fi
job_ids=("$array_id" "$merge_id")
say "array job $array_id ($shards tasks), merge job $merge_id"

# Without accounting there is no sacct: scontrol knows the job until MinJobAge (300 s)
# after it ended.
job_state() {
  scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 |
    sed 's/JobState=//'
}
state=""
deadline=$((SECONDS + 120))
while [ $SECONDS -lt $deadline ]; do
  state=$(job_state "$merge_id")
  case $state in
    PENDING | CONFIGURING | RUNNING | COMPLETING | "") sleep 0.2 ;;
    *) break ;;
  esac
done
if [ "$state" != COMPLETED ] && [ "$state" != FAILED ]; then
  for f in slurm-*.out; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  # One line per job (each array task is one), with the fields that say what happened.
  for id in "$array_id" "$merge_id"; do
    scontrol show job -o "$id" 2>/dev/null | while read -r line; do
      grep -oE '^JobId=[^ ]+|ArrayTaskId=[^ ]+|JobState=[^ ]+|Reason=[^ ]+|ExitCode=[^ ]+|Dependency=[^ ]+' \
        <<<"$line" | paste -sd' ' >&2
    done || true
  done
  fail "the merge job is ${state:-unknown} (not COMPLETED) after $(elapsed "$t_jobs") s"
fi
merge_exit=$(scontrol show job -o "$merge_id" | grep -o ' ExitCode=[0-9]*' | cut -d= -f2)
jobs_secs=$(elapsed "$t_jobs")
say "array + merge done in $jobs_secs s (merge exit $merge_exit)"

# --- the unsharded run, answered from the same cache -------------------------------------
set +e
"$pb" eval promptbench.yaml -o "$work/single.json" --cache "$work/single.db" -q
single_exit=$?
set -e
case $single_exit in 0 | 1) ;; *) fail "the unsharded run exited $single_exit" ;; esac
# The merge applies the gates as the unsharded run does: same verdict, same exit code.
[ "$merge_exit" = "$single_exit" ] ||
  fail "merge job exited $merge_exit, the unsharded run $single_exit"

# --- the comparison ------------------------------------------------------------------------
parts=()
for ((i = 0; i < shards; i++)); do
  [ -f "parts/shard-$i.json" ] || fail "no part report parts/shard-$i.json"
  parts+=("parts/shard-$i.json")
done
for f in report.json report.md report.html; do
  [ -f "$f" ] || fail "the merge job did not write $f"
done

if [ "$compare_tool" = python3 ]; then
  python3 - "$work/single.json" report.json "${parts[@]}" <<'EOF' || fail "see above"
import json, sys
single, merged = (json.load(open(p)) for p in sys.argv[1:3])
parts = sys.argv[3:]
bad = []

def diffs(a, b, path):
    """Yields the paths where a and b differ, with both values."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from diffs(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diffs(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: merged {json.dumps(a)[:200]}, unsharded {json.dumps(b)[:200]}"

for key in ("variants", "comparisons", "gates"):
    found = list(diffs(merged.get(key, "<absent>"), single.get(key, "<absent>"), key))
    if found:
        bad.append(f"the merged report's '{key}' differs from the unsharded run's in "
                   f"{len(found)} places, first: " + "; ".join(found[:5]))
ids = [c["id"] for c in single["cases"]]
if [c["id"] for c in merged["cases"]] != ids:
    bad.append("the merged report's cases are not the unsharded run's, in dataset order")
seen = {}
for p in parts:
    for c in json.load(open(p))["cases"]:
        if c["id"] in seen:
            bad.append(f"case {c['id']!r} is in {seen[c['id']]} and in {p}")
        seen[c["id"]] = p
if set(seen) != set(ids) or len(seen) != len(ids):
    bad.append(f"the parts hold {len(seen)} case ids, not the unsharded run's {len(ids)}")
for b in bad:
    print(f"test-slurm: {b}", file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
else
  for key in variants comparisons gates; do
    jq -S ".$key" "$work/single.json" >"$work/single.$key"
    jq -S ".$key" report.json >"$work/merged.$key"
    if ! cmp -s "$work/single.$key" "$work/merged.$key"; then
      diff "$work/single.$key" "$work/merged.$key" | head -n 40 >&2 || true
      fail "the merged report's '$key' differs from the unsharded run's"
    fi
  done
  jq -c '.cases[].id' "$work/single.json" >"$work/single.ids"
  jq -c '.cases[].id' report.json >"$work/merged.ids"
  cmp -s "$work/single.ids" "$work/merged.ids" ||
    fail "the merged report's cases are not the unsharded run's, in dataset order"
  jq -c '.cases[].id' "${parts[@]}" | sort >"$work/parts.ids"
  dup=$(uniq -d "$work/parts.ids" | head -n 5)
  [ -z "$dup" ] || fail "case ids in more than one part: $dup"
  sort "$work/single.ids" | cmp -s - "$work/parts.ids" ||
    fail "the parts' case ids are not the unsharded run's"
fi

ok=1
say "PASS: the $shards merged shards equal the unsharded run (cluster start $cluster_secs s," \
  "array + merge $jobs_secs s)"
